//! The architecture, checked: modules import only what lies below them.
//!
//! Reads every file under `src/`, finds the modules each one names (`use` trees and paths in
//! code, `crate::`, `super::`, `self::` and `logcount::`), and checks that
//! - no two modules import each other, directly or around a cycle (a module and its own
//!   children aside: `executor` and `executor::serial` may name each other);
//! - every import points down the layer table below (docs/layout.md shows the same);
//! - nothing in the library names `clap` (only the command line's face does).
//!
//! A module is a file: `foo.rs` or `foo/mod.rs` is `foo`, and `foo/bar.rs` is `foo::bar`,
//! whichever way a directory module is written. Test modules are left out, a test may reach
//! anywhere: a `#[cfg(test)] mod NAME { ... }` in a file, and the file of a
//! `#[cfg(test)] mod NAME;`, but for test support that the table places (`testutil`, which
//! imports nothing of the crate).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules from the top layer to the bottom: a module may import modules of its own
/// row's right or of any row below, never above. The binary's modules are `bin::…`.
const LAYERS: &[&[&str]] = &[
    &["bin"],
    &["bin::cli"],
    &["bin::app"],
    &["bin::settings"],
    &["partial"],
    &["executor"],
    &["reduce"],
    &["report"],
    &["plan"],
    &["input"],
    &["counts_encoding", "gen"],
    &["count"],
    &["format"],
    &["keys"],
    &["progress"],
    &[
        "diag",
        "bytes",
        "testutil",
        "server_config",
        "reserve",
        "terminal",
    ],
];

/// A module's path from its crate's root (`""` is the library's root, `bin` the binary's).
type Module = String;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file of the crate's `src/` and the module it defines, test modules left out.
fn modules() -> BTreeMap<Module, PathBuf> {
    modules_in(&src())
}

/// Every source file under `src` and the module it defines, but the files of test modules.
fn modules_in(src: &Path) -> BTreeMap<Module, PathBuf> {
    let binary: BTreeSet<String> = std::fs::read_to_string(src.join("main.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .map(str::to_string)
        .collect();
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            if parts == ["main"] {
                parts = vec!["bin".into()];
            } else if parts.first().is_some_and(|p| binary.contains(p)) {
                parts.insert(0, "bin".into());
            }
            out.insert(parts.join("::"), path);
        }
    }
    // A `#[cfg(test)] mod NAME;` makes NAME's file (and any below it) a test module, unless
    // the layer table places it.
    let tests: Vec<Module> = out
        .iter()
        .flat_map(|(module, path)| {
            let (_, names) = without_tests(&stripped(path));
            names.into_iter().map(move |n| match module.as_str() {
                "" => n,
                m => format!("{m}::{n}"),
            })
        })
        .filter(|t| !LAYERS.iter().any(|row| row.contains(&t.as_str())))
        .collect();
    out.retain(|m, _| {
        !tests
            .iter()
            .any(|t| m == t || m.starts_with(&format!("{t}::")))
    });
    out
}

/// The code of a file without comments, string literals and its test modules.
fn code(path: &Path) -> String {
    without_tests(&stripped(path)).0
}

/// The code of a file without comments and string literals.
fn stripped(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal (`'x'`, `'\n'`); lifetimes (`'a`) pass through.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    chars.nth(2);
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `code` without its test modules (`#[cfg(test)]`, other attributes, `pub(...)`, then
/// `mod NAME { ... }` or `mod NAME;`), and the names of those declared as files (`mod NAME;`).
fn without_tests(code: &str) -> (String, Vec<String>) {
    const CFG_TEST: &str = "#[cfg(test)]";
    let (mut out, mut files, mut rest) = (String::new(), Vec::new(), code);
    while let Some(at) = rest.find(CFG_TEST) {
        out.push_str(&rest[..at]);
        let mut after = rest[at + CFG_TEST.len()..].trim_start();
        // Other attributes, then the visibility.
        while let Some(attr) = after.strip_prefix("#[") {
            after = attr[attr.find(']').map_or(attr.len(), |e| e + 1)..].trim_start();
        }
        if let Some(vis) = after.strip_prefix("pub") {
            after = vis.trim_start();
            if let Some(scope) = after.strip_prefix('(') {
                after = scope[scope.find(')').map_or(scope.len(), |e| e + 1)..].trim_start();
            }
        }
        let Some(item) = after
            .strip_prefix("mod")
            .filter(|a| a.starts_with(char::is_whitespace))
        else {
            // Not a module (a test-only function or impl): kept, as before.
            out.push_str(CFG_TEST);
            rest = &rest[at + CFG_TEST.len()..];
            continue;
        };
        let item = item.trim_start();
        let name: String = item.chars().take_while(|&c| is_ident(c)).collect();
        let body = item[name.len()..].trim_start();
        rest = if let Some(decl) = body.strip_prefix(';') {
            files.push(name);
            decl
        } else {
            // `{`: skip to its matching `}` (strings and comments are gone already).
            let mut depth = 0;
            let end = body
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(body.len(), |(i, _)| i + 1);
            &body[end..]
        };
    }
    out.push_str(rest);
    (out, files)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands a `use` tree (`crate::a::{b, c::{d, e}}`) into its paths.
fn expand_use(tree: &str) -> Vec<String> {
    // `x as y` names x; then spaces mean nothing.
    let words: Vec<&str> = tree.split_whitespace().collect();
    let mut kept = String::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "as" {
            // Drop the alias, keep what closes after it (`f}}`).
            if let Some(alias) = words.get(i + 1) {
                kept.push_str(alias.trim_start_matches(is_ident));
            }
            i += 2;
            continue;
        }
        kept.push_str(words[i]);
        i += 1;
    }
    let tree = kept;
    let mut out = Vec::new();
    expand_into("", &tree, &mut out);
    out
}

fn expand_into(prefix: &str, tree: &str, out: &mut Vec<String>) {
    match tree.find('{') {
        None => {
            for item in split_top(tree) {
                out.push(format!("{prefix}{item}"));
            }
        }
        Some(open) => {
            let head = &tree[..open];
            let close = tree.rfind('}').expect("balanced braces");
            for item in split_top(&tree[open + 1..close]) {
                expand_into(&format!("{prefix}{head}"), item, out);
            }
        }
    }
}

/// Splits `a, b::{c, d}, e` at the commas outside braces.
fn split_top(list: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0, 0, Vec::new());
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&list[start..]);
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// Every module path a file's code names: `use` trees expanded, and `crate::…`, `super::…`,
/// `logcount::…` paths written in code.
fn named_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        if before.is_some_and(is_ident) {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        out.extend(expand_use(&rest[..end]));
        rest = &rest[end..];
    }
    for root in ["crate::", "super::", "logcount::"] {
        let mut rest = code;
        while let Some(at) = rest.find(root) {
            let before = rest[..at].chars().last();
            let path: String = rest[at..]
                .chars()
                .take_while(|&c| is_ident(c) || c == ':')
                .collect();
            rest = &rest[at + root.len()..];
            if !before.is_some_and(|c| is_ident(c) || c == ':') {
                out.push(path);
            }
        }
    }
    out
}

/// The deepest module a path names, from module `from`.
fn resolve(path: &str, from: &str, modules: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    let mut segments = path.split("::").filter(|s| !s.is_empty());
    let first = segments.next()?;
    let in_binary = from == "bin" || from.starts_with("bin::");
    let mut at: Vec<String> = match first {
        "crate" if in_binary => vec!["bin".into()],
        "crate" | "logcount" => vec![],
        "self" => from.split("::").map(String::from).collect(),
        "super" => {
            let mut m: Vec<String> = from.split("::").map(String::from).collect();
            m.pop();
            m
        }
        _ => return None, // std, a dependency, or a name in scope
    };
    let mut segments = segments.peekable();
    while segments.peek() == Some(&"super") {
        segments.next();
        at.pop();
    }
    for s in segments {
        let mut next = at.clone();
        next.push(s.to_string());
        if !modules.contains_key(&next.join("::")) {
            break;
        }
        at = next;
    }
    Some(at.join("::"))
}

fn related(a: &str, b: &str) -> bool {
    let under = |x: &str, y: &str| y.is_empty() || x == y || x.starts_with(&format!("{y}::"));
    under(a, b) || under(b, a)
}

/// Module → the modules it names (itself, its ancestors and its children left out).
fn edges() -> BTreeMap<Module, BTreeSet<Module>> {
    edges_of(&modules())
}

/// [`edges`] among `modules`.
fn edges_of(modules: &BTreeMap<Module, PathBuf>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut out = BTreeMap::new();
    for (module, path) in modules {
        let targets: BTreeSet<Module> = named_paths(&code(path))
            .iter()
            .filter_map(|p| resolve(p, module, modules))
            .filter(|t| !related(module, t))
            .collect();
        out.insert(module.clone(), targets);
    }
    out
}

/// The row of `module` in [`LAYERS`] and the listed name it falls under (its longest
/// listed prefix).
fn layer(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(row, names)| names.iter().map(move |n| (row, *n)))
        .filter(|(_, n)| module == *n || module.starts_with(&format!("{n}::")))
        .max_by_key(|(_, n)| n.len())
}

/// A cycle in `edges`, if there is one (depth-first search for a back edge).
fn find_cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        m: &str,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        path: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for t in edges.get(m).into_iter().flatten() {
            match state.get(t.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| p == t).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(t.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(t, edges, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if !state.contains_key(m) {
            if let Some(cycle) = visit(m, edges, &mut state, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

/// The child of `parent` that `module` lies in (itself or an ancestor), if it lies under it.
fn child_of(parent: &str, module: &str) -> Option<Module> {
    let rest = if parent.is_empty() {
        module
    } else {
        module.strip_prefix(parent)?.strip_prefix("::")?
    };
    let first = rest.split("::").next().filter(|f| !f.is_empty())?;
    Some(if parent.is_empty() {
        first.to_string()
    } else {
        format!("{parent}::{first}")
    })
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    // For every module, its children must not import each other around a cycle, counting
    // what their own descendants import (so `count -> plan -> input::read -> count` is one).
    let edges = edges();
    for parent in modules().keys() {
        let mut children: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        for (from, targets) in &edges {
            let Some(a) = child_of(parent, from) else {
                continue;
            };
            for to in targets {
                if let Some(b) = child_of(parent, to).filter(|b| *b != a) {
                    children.entry(a.clone()).or_default().insert(b);
                }
            }
        }
        if let Some(cycle) = find_cycle(&children) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn every_import_points_down_the_layers() {
    let mut wrong = Vec::new();
    for (from, targets) in edges() {
        if from.is_empty() {
            continue; // the library's root only declares modules
        }
        let Some((row, name)) = layer(&from) else {
            wrong.push(format!(
                "{from} is in no layer: add it to LAYERS (and docs/layout.md)"
            ));
            continue;
        };
        for to in targets.iter().filter(|t| !t.is_empty()) {
            // Within one listed module, only cycles matter (the test above).
            if layer(to).is_some_and(|(_, n)| n == name) {
                continue;
            }
            match layer(to).map(|(r, _)| r) {
                Some(r) if r > row => {}
                // Same row: only rightwards (`counts_encoding` may name `gen`, not back).
                Some(r) if r == row => {
                    let names = LAYERS[row];
                    let pos = |m: &str| {
                        names
                            .iter()
                            .position(|n| m == *n || m.starts_with(&format!("{n}::")))
                    };
                    if pos(&from) >= pos(to) {
                        wrong.push(format!("{from} -> {to} (same layer)"));
                    }
                }
                _ => wrong.push(format!("{from} -> {to} points up")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn nothing_below_the_command_line_names_clap() {
    let leaks: Vec<String> = modules()
        .into_iter()
        .filter(|(m, _)| m != "bin" && !m.starts_with("bin::cli"))
        .filter(|(_, path)| code(path).contains("clap"))
        .map(|(m, _)| m)
        .collect();
    assert!(leaks.is_empty(), "clap named in {leaks:?}");
}

#[test]
fn the_checker_sees_use_trees_and_paths() {
    assert_eq!(
        expand_use("crate::a::{b, c::{d, e as f}}"),
        ["crate::a::b", "crate::a::c::d", "crate::a::c::e"]
    );
    let code = code_of("use super::{x, y};\nfn f() { crate::keys::parse_v4(b\"crate::no\"); }");
    let paths = named_paths(&code);
    assert!(paths.contains(&"super::x".to_string()), "{paths:?}");
    assert!(paths.contains(&"crate::keys::parse_v4".to_string()));
    assert!(!paths.iter().any(|p| p.contains("no")), "{paths:?}");
    let modules = modules();
    assert_eq!(
        resolve("crate::keys::parse_v4", "input::read", &modules),
        Some("keys".into())
    );
    assert_eq!(
        resolve("super::wire::Hello", "executor::procpool::pool", &modules),
        Some("executor::procpool::wire".into())
    );
    assert_eq!(
        resolve("crate::settings::Settings", "bin::app", &modules),
        Some("bin::settings".into())
    );
    assert!(edges()["reduce"].contains("count"));
}

/// Both ways of writing a directory module (`b.rs` beside `b/`, `c/mod.rs`), however deep, and
/// test modules inline, in the middle of a file, and in their own files: what the crate's
/// modules become when one is split into a directory.
#[test]
fn the_checker_reads_directory_modules_and_leaves_out_test_modules() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let files = [
        ("main.rs", "mod cli;\nfn main() { cli::run(); }"),
        ("cli.rs", "use logcount::a::A;\npub fn run() {}"),
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;"),
        ("a.rs", "pub mod x;\npub struct A;"),
        ("a/x.rs", "use super::super::b::B;"),
        (
            "b.rs",
            "mod y;\n#[cfg(test)]\n#[allow(unused)]\nmod tests;\npub use y::B;\nuse crate::c::C;",
        ),
        ("b/y.rs", "pub struct B;"),
        ("b/tests.rs", "use crate::a::A;"),
        ("b/tests/deep.rs", "use crate::a::A;"),
        (
            "c/mod.rs",
            "pub mod z;\n#[cfg(test)]\npub(crate) mod tests { use crate::a::A; fn f() { {} } }\npub struct C;\nfn after() { crate::b::y::B; }",
        ),
        ("c/z.rs", "#[cfg(test)]\nfn only_in_tests() { crate::a::A; }"),
    ];
    for (name, text) in files {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let modules = modules_in(src);
    assert_eq!(
        modules.keys().map(String::as_str).collect::<Vec<_>>(),
        ["", "a", "a::x", "b", "b::y", "bin", "bin::cli", "c", "c::z"]
    );
    let edges = edges_of(&modules);
    let names = |m: &str| edges[m].iter().map(String::as_str).collect::<Vec<_>>();
    assert_eq!(names("bin::cli"), ["a"]);
    assert_eq!(names("a::x"), ["b"]);
    // The code after a test module's declaration counts; the test module does not.
    assert_eq!(names("b"), ["c"]);
    assert_eq!(names("c"), ["b::y"]);
    // A test-only function is not a module: what it names counts (as it always did).
    assert_eq!(names("c::z"), ["a"]);
}

/// [`code`] of a string instead of a file.
fn code_of(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.rs");
    std::fs::write(&path, text).unwrap();
    code(&path)
}
