//! What the command line prints about itself: the man page (`logcount man`), and the command
//! that shell completions are made from (`logcount completions`).

use clap::CommandFactory;

use super::{Cli, EXAMPLES};

/// The command line as completion offers it: without the hidden subcommands (`__worker`),
/// which clap_complete would offer too.
pub(super) fn visible_command() -> clap::Command {
    let cli = Cli::command();
    let mut visible = clap::Command::new("logcount")
        .args(cli.get_arguments().cloned())
        .subcommands(cli.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    if let Some(version) = cli.get_version() {
        visible = visible.version(version.to_string());
    }
    visible
}

/// `logcount man`: the page clap_mangen makes of the definitions, but for its sections that
/// name pages that do not exist (`logcount-gen(1)`, ...) and put the examples under "EXTRA":
/// the commands instead, each with its `--help`, then the examples and the exit status.
pub(super) fn man_page() -> Vec<u8> {
    let man = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    let rendered: std::io::Result<()> = (|| {
        man.render_title(&mut out)?;
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)
    })();
    rendered.expect("rendering into memory");
    let mut page = String::from_utf8(out).expect("clap_mangen writes UTF-8");
    page.push_str(".SH COMMANDS\n");
    for c in Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
    {
        let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
        page.push_str(&format!(
            ".TP\n\\fBlogcount {}\\fR\n{} (\\fBlogcount {} \\-\\-help\\fR for its options)\n",
            roff(c.get_name()),
            roff(&about),
            roff(c.get_name()),
        ));
    }
    let (examples, status) = EXAMPLES
        .split_once("\n\nExit status: ")
        .expect("EXAMPLES ends with the exit status");
    page.push_str(".SH EXAMPLES\n.nf\n");
    for line in examples.lines().skip(1) {
        page.push_str(&roff(line.trim_start()));
        page.push('\n');
    }
    page.push_str(".fi\n.SH \"EXIT STATUS\"\n");
    page.push_str(&roff(status));
    page.push('\n');
    page.into_bytes()
}

/// `text` as roff text: backslashes and hyphens escaped, and a leading `.` or `'` (which
/// would start a request) guarded.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_names_no_page_that_does_not_exist() {
        let page = String::from_utf8(man_page()).unwrap();
        assert!(!page.contains("logcount\\-gen(1)"), "{page}");
        assert!(!page.contains(".SH EXTRA"), "{page}");
        for section in [
            ".SH COMMANDS",
            ".SH EXAMPLES",
            ".SH \"EXIT STATUS\"",
            ".SH OPTIONS",
        ] {
            assert!(page.contains(section), "{section}");
        }
        assert!(page.contains("\\fBlogcount bench\\fR"), "{page}");
        assert!(!page.contains("__worker"));
    }

    #[test]
    fn completion_offers_the_formats_and_no_hidden_command() {
        let mut out = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut visible_command(),
            "logcount",
            &mut out,
        );
        let script = String::from_utf8(out).unwrap();
        assert!(!script.contains("__worker"));
        for name in ["combined", "cri+combined", "syslog+json", "w3c", "auto"] {
            assert!(script.contains(name), "{name}");
        }
        assert!(script.contains("bench") && script.contains("--show-malformed"));
    }
}
