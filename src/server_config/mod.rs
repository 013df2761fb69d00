//! Reading web-server configurations (`--server-config FILE`): the access-log formats an nginx or
//! Apache httpd configuration defines, and which log files it writes in which format.
//!
//! [`ServerConfig::read`] tells the dialect apart by the main file's content, follows its
//! includes (globs expanded in sorted order, loops refused) and returns the formats' template
//! text as the server would see it ([`NamedFormat::text`]; compiling it is another module's
//! work) and the configured log paths ([`LogTarget`]). [`LogTarget::rank`] says how well a file
//! the user named matches a configured log, rotated siblings (`access.log.1`, `access.log-20261207.gz`)
//! included.
//!
//! Paths are resolved the way the servers do, with one simplification for nginx: relative
//! `include` patterns and relative `access_log` paths are resolved against the main
//! configuration file's directory (nginx's default conf prefix; nginx itself resolves
//! `access_log` against its install prefix, which a configuration file does not tell). Apache
//! resolves both against `ServerRoot`, else the main file's directory. Parts of a log path that
//! cannot be known here (nginx variables, unknown Apache `${VAR}`s, rotatelogs' strftime
//! conversions) become `*`.
//!
//! This module imports nothing of the crate.

use std::path::{Component, Path, PathBuf};

mod apache;
mod globs;
mod nginx;
mod rank;

use apache::Apache;
use nginx::Nginx;

/// Which server's configuration language a file is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Nginx,
    Apache,
}

/// A log format a configuration defines (or one built in that it uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedFormat {
    /// `nginx:NAME` (`nginx:stream:NAME` for a `stream {}` block's formats), `apache:NICK`, or
    /// `apache:FILE:LINE` for a format written inline in a `CustomLog` or an unnamed `LogFormat`.
    pub name: String,
    pub dialect: Dialect,
    /// The template text: nginx's string arguments concatenated after nginx's own quote and
    /// escape processing; Apache's text exactly as written between the quotes, backslash escapes
    /// (`\"`) left in.
    pub text: String,
    /// `FILE:LINE` of the definition, or `built in ...`.
    pub origin: String,
}

/// A log file a configuration writes, and the format it writes it in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogTarget {
    /// The configured path, made absolute where it can be; `*` stands for each part that cannot
    /// be known here (a variable, a strftime conversion).
    pub(crate) path: String,
    /// The [`NamedFormat::name`] it is written in.
    pub format: String,
    /// `FILE:LINE` of the directive.
    pub origin: String,
}

/// What a configuration says about access logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerConfig {
    pub formats: Vec<NamedFormat>,
    pub logs: Vec<LogTarget>,
    /// Notes on what was left out: includes of the server's own files that are not on this
    /// machine (a configuration copied off its server).
    pub notes: Vec<String>,
}

/// A configuration that cannot be read: where, and why. `line` is 0 when the file itself
/// cannot be read (or is not a configuration); it then shows as `FILE: message`.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line_suffix(*.line))]
pub struct ConfigError {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) message: String,
}

fn line_suffix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}

impl ConfigError {
    fn new(file: &str, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// nginx's predefined `combined` format.
const NGINX_COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

/// The nicknames Debian's and Ubuntu's apache2.conf define, used when a configuration names one
/// without defining it (a vhost file read alone).
const APACHE_FALLBACKS: &[(&str, &str)] = &[
    (
        "combined",
        r#"%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#,
    ),
    ("common", r#"%h %l %u %t \"%r\" %>s %O"#),
    (
        "vhost_combined",
        r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#,
    ),
    ("referer", "%{Referer}i -> %U"),
    ("agent", "%{User-agent}i"),
];
const FALLBACK_ORIGIN: &str = "built in (Debian apache2.conf)";

/// What `TransferLog` writes when no unnamed `LogFormat` came before it: Apache's own default,
/// the Common Log Format.
const APACHE_CLF_NAME: &str = "apache:clf";
const APACHE_CLF: &str = r#"%h %l %u %t \"%r\" %>s %b"#;

/// The deepest nesting of includes followed (a guard beside the loop check).
const MAX_INCLUDE_DEPTH: usize = 64;

impl ServerConfig {
    /// Reads the configuration at `path`, following its includes; nginx or Apache told apart by
    /// content. Apache's `${VAR}`s are looked up in the process environment.
    pub fn read(path: &Path) -> Result<ServerConfig, ConfigError> {
        Self::read_with(path, &|name| std::env::var(name).ok())
    }

    /// [`ServerConfig::read`] with an explicit environment lookup for Apache's `${VAR}`.
    pub(crate) fn read_with(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = read_text(path, &shown)?;
        let dialect = detect(&text).ok_or_else(|| {
            ConfigError::new(&shown, 0, "neither an nginx nor an Apache configuration")
        })?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = normalize(&std::path::absolute(&dir).unwrap_or(dir));
        let files = Files {
            stack: vec![canonical(path)],
        };
        match dialect {
            Dialect::Nginx => Nginx::new(dir, files).run(&shown, &text),
            Dialect::Apache => Apache::new(dir, files, env).run(&shown, &text),
        }
    }
}

fn read_text(path: &Path, shown: &str) -> Result<String, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => Err(ConfigError::new(shown, 0, format!("cannot read: {e}"))),
    }
}

/// An included file's name as shown and its text, for the include at `file:line`.
fn read_included(path: &Path, file: &str, line: usize) -> Result<(String, String), ConfigError> {
    let shown = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((shown, String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) => Err(ConfigError::new(
            file,
            line,
            format!("cannot open \"{shown}\": {e}"),
        )),
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `path` without `.` components (`..` kept: a symbolic link may stand before it).
fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The files being read, outermost first: an include of one of them is a loop.
struct Files {
    stack: Vec<PathBuf>,
}

impl Files {
    fn enter(&mut self, path: &Path, file: &str, line: usize) -> Result<(), ConfigError> {
        let real = canonical(path);
        if self.stack.contains(&real) {
            return Err(ConfigError::new(
                file,
                line,
                format!("include loop: {} is already being read", path.display()),
            ));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(ConfigError::new(
                file,
                line,
                format!("includes nested deeper than {MAX_INCLUDE_DEPTH}"),
            ));
        }
        self.stack.push(real);
        Ok(())
    }

    fn leave(&mut self) {
        self.stack.pop();
    }
}

// ---------------------------------------------------------------------------------------------
// Telling the dialects apart

fn detect(text: &str) -> Option<Dialect> {
    const APACHE: &[&str] = &[
        "logformat",
        "customlog",
        "transferlog",
        "serverroot",
        "include",
        "includeoptional",
        "loadmodule",
        "listen",
        "errorlog",
        "documentroot",
        "servername",
    ];
    const NGINX: &[&str] = &["log_format", "access_log", "worker_processes"];
    const NGINX_BLOCKS: &[&str] = &["http", "server", "events", "stream", "location"];
    let (mut apache, mut nginx) = (0usize, 0usize);
    let mut strong_nginx = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let word: String = lower
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let rest = lower[word.len()..].trim_start();
        let statement_end = lower.ends_with(';') || lower.ends_with('{') || lower.ends_with('}');
        if NGINX.contains(&word.as_str())
            || NGINX_BLOCKS.contains(&word.as_str()) && rest.starts_with('{')
        {
            strong_nginx = true;
            nginx += 1;
        } else if ["<virtualhost", "<ifmodule", "<directory", "</"]
            .iter()
            .any(|c| lower.starts_with(c))
            || APACHE.contains(&word.as_str()) && !statement_end
        {
            apache += 1;
        } else if statement_end {
            nginx += 1;
        }
    }
    if strong_nginx && nginx >= apache {
        Some(Dialect::Nginx)
    } else if apache > 0 && apache >= nginx {
        Some(Dialect::Apache)
    } else if nginx > 0 {
        Some(Dialect::Nginx)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::apache::{strftime_to_stars, unknown_vars_to_stars};
    use super::globs::wild_match;
    use super::nginx::nginx_vars_to_stars;
    use super::*;
    use std::fs;

    /// Writes `files` (path relative to the tempdir, content) and returns the tempdir.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let full = dir.path().join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, text).unwrap();
        }
        dir
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn read(path: &Path) -> Result<ServerConfig, ConfigError> {
        ServerConfig::read_with(path, &no_env)
    }

    fn root(dir: &tempfile::TempDir) -> String {
        dir.path().display().to_string()
    }

    fn format<'c>(config: &'c ServerConfig, name: &str) -> &'c NamedFormat {
        config
            .formats
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no format {name} in {:#?}", config.formats))
    }

    fn logs(config: &ServerConfig) -> Vec<(String, String)> {
        config
            .logs
            .iter()
            .map(|l| (l.path.clone(), l.format.clone()))
            .collect()
    }

    fn error(path: &Path) -> ConfigError {
        read(path).expect_err("should fail")
    }

    // --- nginx ---------------------------------------------------------------------------

    const DEBIAN_NGINX: &str = r#"user www-data;
worker_processes auto;
pid /run/nginx.pid;
include @/etc/nginx/modules-enabled/*.conf;

events {
	worker_connections 768;
	# multi_accept on;
}

http {
	sendfile on;
	include @/etc/nginx/mime.types;
	default_type application/octet-stream;

	log_format main '$remote_addr - $remote_user [$time_local] "$request" '
	                '$status $body_bytes_sent "$http_referer" '
	                '"$http_user_agent" "$http_x_forwarded_for"';

	access_log /var/log/nginx/access.log;
	error_log /var/log/nginx/error.log;

	gzip on;

	include @/etc/nginx/conf.d/*.conf;
	include @/etc/nginx/sites-enabled/*;
}
"#;

    fn debian_nginx() -> tempfile::TempDir {
        let dir = tree(&[
            ("etc/nginx/mime.types", "types {\n    text/html html htm shtml;\n    image/gif gif;\n}\n"),
            (
                "etc/nginx/conf.d/json.conf",
                "log_format json_combined escape=json\n  '{'\n    '\"time_local\":\"$time_local\",'\n    '\"remote_addr\":\"$remote_addr\",'\n    '\"request\":\"$request\"'\n  '}';\n",
            ),
            (
                "etc/nginx/sites-enabled/default",
                "server {\n\tlisten 80 default_server;\n\troot /var/www/html;\n\taccess_log /var/log/nginx/default.access.log main;\n\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n\tlocation /health {\n\t\taccess_log off;\n\t}\n}\n",
            ),
            (
                "etc/nginx/sites-enabled/example.com",
                "server {\n    server_name example.com;\n    access_log /var/log/nginx/$host.access.log json_combined buffer=32k gzip flush=5m;\n    access_log syslog:server=unix:/dev/log main;\n    access_log logs/relative.log;\n    if ($http_user_agent ~ \"bot\") {\n        return 403;\n    }\n}\n",
            ),
        ]);
        let conf = DEBIAN_NGINX.replace('@', &root(&dir));
        fs::write(dir.path().join("etc/nginx/nginx.conf"), conf).unwrap();
        dir
    }

    #[test]
    fn debian_nginx_configuration() {
        let dir = debian_nginx();
        let r = root(&dir);
        let main = dir.path().join("etc/nginx/nginx.conf");
        let config = read(&main).unwrap();
        let names: Vec<&str> = config.formats.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["nginx:combined", "nginx:main", "nginx:json_combined"]
        );
        let main_format = format(&config, "nginx:main");
        assert_eq!(
            main_format.text,
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#
        );
        assert_eq!(main_format.origin, format!("{}:16", main.display()));
        assert_eq!(main_format.dialect, Dialect::Nginx);
        let json = format(&config, "nginx:json_combined");
        assert_eq!(
            json.text,
            r#"{"time_local":"$time_local","remote_addr":"$remote_addr","request":"$request"}"#
        );
        assert_eq!(json.origin, format!("{r}/etc/nginx/conf.d/json.conf:1"));
        let combined = format(&config, "nginx:combined");
        assert_eq!(combined.text, NGINX_COMBINED);
        assert_eq!(combined.origin, "built in");
        assert_eq!(
            logs(&config),
            [
                ("/var/log/nginx/access.log".into(), "nginx:combined".into()),
                (
                    "/var/log/nginx/default.access.log".into(),
                    "nginx:main".into()
                ),
                (
                    "/var/log/nginx/*.access.log".into(),
                    "nginx:json_combined".into()
                ),
                (
                    format!("{r}/etc/nginx/logs/relative.log"),
                    "nginx:combined".into()
                ),
            ]
        );
        assert_eq!(config.logs[0].origin, format!("{}:20", main.display()));
        assert_eq!(
            config.logs[1].origin,
            format!("{r}/etc/nginx/sites-enabled/default:4")
        );
        // Read from a relative path too: origins keep the path as given.
        let config = ServerConfig::read(&main).unwrap();
        assert_eq!(config.logs.len(), 4);
    }

    #[test]
    fn nginx_relative_includes_resolve_against_the_main_files_directory() {
        let dir = tree(&[
            ("nginx/nginx.conf", "events {}\nhttp {\n  include conf.d/*.conf;\n  include extra/one.conf;\n  include nothing/*.conf;\n}\n"),
            ("nginx/conf.d/b.conf", "access_log /b.log later;\n"),
            ("nginx/conf.d/a.conf", "access_log /a.log;\n"),
            ("nginx/conf.d/.hidden.conf", "access_log /hidden.log;\n"),
            ("nginx/conf.d/skip.txt", "access_log /skip.log;\n"),
            // Defined after its use in file order: fine.
            ("nginx/extra/one.conf", "log_format later '$remote_addr $request';\n"),
        ]);
        let config = read(&dir.path().join("nginx/nginx.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [
                ("/a.log".into(), "nginx:combined".into()),
                ("/b.log".into(), "nginx:later".into()),
            ]
        );
    }

    #[test]
    fn a_configuration_copied_off_its_server_finds_its_includes_beside_it() {
        let dir = tree(&[
            (
                "copy/nginx.conf",
                "http {\n  include /etc/nginx/mime.types;\n  include /etc/nginx/conf.d/*.conf;\n}\n",
            ),
            ("copy/conf.d/site.conf", "access_log /var/log/nginx/site.log;\n"),
        ]);
        let config = read(&dir.path().join("copy/nginx.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [("/var/log/nginx/site.log".into(), "nginx:combined".into())]
        );
        assert_eq!(config.notes.len(), 1, "{config:?}");
        assert!(config.notes[0].contains("/etc/nginx/mime.types is not here"));
        let dir = tree(&[
            (
                "apache2/apache2.conf",
                "ServerRoot \"/etc/apache2\"\nIncludeOptional sites-enabled/*.conf\n",
            ),
            (
                "apache2/sites-enabled/a.conf",
                "CustomLog /var/log/apache2/a.log common\n",
            ),
        ]);
        let config = read(&dir.path().join("apache2/apache2.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [("/var/log/apache2/a.log".into(), "apache:common".into())]
        );
    }

    #[test]
    fn only_the_include_pattern_is_a_glob() {
        // The configuration's own directory may hold glob characters.
        let dir = tree(&[
            (
                "we[ir]d*/nginx.conf",
                "http {\n  include ./conf.d/*.conf;\n}\n",
            ),
            ("we[ir]d*/conf.d/a.conf", "access_log /a.log;\n"),
            ("we[ir]d*/httpd.conf", "Listen 80\nInclude sites/*.conf\n"),
            ("we[ir]d*/sites/b.conf", "CustomLog /b.log common\n"),
        ]);
        let config = read(&dir.path().join("we[ir]d*/nginx.conf")).unwrap();
        assert_eq!(logs(&config), [("/a.log".into(), "nginx:combined".into())]);
        assert_eq!(
            config.logs[0].origin,
            format!("{}/we[ir]d*/conf.d/a.conf:1", root(&dir))
        );
        let config = read(&dir.path().join("we[ir]d*/httpd.conf")).unwrap();
        assert_eq!(logs(&config), [("/b.log".into(), "apache:common".into())]);
    }

    #[test]
    fn nginx_escapes_and_variables() {
        let dir = tree(&[(
            "nginx.conf",
            "http {\n  log_format q \"a\\\"b\\tc\" 'd\\'e' f\\\\g \"h\\x\";\n  access_log /logs/${server_name}_$status.log q;\n  access_log \"/logs/quoted dir/x.log\" q; # a comment; with { braces\n}\n",
        )]);
        let config = read(&dir.path().join("nginx.conf")).unwrap();
        assert_eq!(format(&config, "nginx:q").text, "a\"b\tcd'ef\\gh\\x");
        assert_eq!(
            logs(&config),
            [
                ("/logs/*_*.log".into(), "nginx:q".into()),
                ("/logs/quoted dir/x.log".into(), "nginx:q".into()),
            ]
        );
    }

    #[test]
    fn nginx_stream_formats_are_their_own_namespace() {
        let dir = tree(&[(
            "nginx.conf",
            "http {\n  log_format basic '$remote_addr $request';\n  access_log /http.log basic;\n}\nstream {\n  log_format basic '$remote_addr $protocol';\n  server {\n    access_log /stream.log basic;\n  }\n}\n",
        )]);
        let config = read(&dir.path().join("nginx.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [
                ("/http.log".into(), "nginx:basic".into()),
                ("/stream.log".into(), "nginx:stream:basic".into()),
            ]
        );
        assert_eq!(
            format(&config, "nginx:stream:basic").text,
            "$remote_addr $protocol"
        );
    }

    #[test]
    fn nginx_errors_name_file_and_line() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "http {\n  log_format x 'abc;\n}\n",
                2,
                "unterminated quoted string",
            ),
            (
                "http {\n  access_log /x.log nosuch;\n}\n",
                2,
                "unknown log format \"nosuch\"",
            ),
            ("http {\n  access_log /x.log\n}\n", 3, "unexpected \"}\""),
            (
                "http {\n  access_log /x.log;\n",
                3,
                "unexpected end of file, expecting \"}\"",
            ),
            (
                "events {}\nworker_processes 1",
                2,
                "unexpected end of file, expecting \";\" or \"}\"",
            ),
            ("http {}\n}\n", 2, "unexpected \"}\""),
            (
                "http {\n  log_format combined '$a';\n}\n",
                2,
                "duplicate \"log_format\" name \"combined\"",
            ),
            (
                "http {\n log_format a '$a';\n log_format a '$b';\n}\n",
                3,
                "duplicate \"log_format\" name \"a\"",
            ),
            (
                "http {\n  log_format a escape=xml '$a';\n}\n",
                2,
                "unknown log format escaping \"xml\"",
            ),
            ("http {\n  log_format a \"x\"y;\n}\n", 2, "unexpected \"y\""),
            ("http {\n  include missing.conf;\n}\n", 2, "cannot open"),
        ];
        for (text, line, message) in cases {
            let dir = tree(&[("nginx.conf", text)]);
            let path = dir.path().join("nginx.conf");
            let e = error(&path);
            assert_eq!(e.file, path.display().to_string(), "{text}");
            assert_eq!(e.line, *line, "{text}: {e}");
            assert!(e.message.starts_with(message), "{text}: {e}");
            assert_eq!(
                e.to_string(),
                format!("{}:{line}: {}", path.display(), e.message)
            );
        }
    }

    #[test]
    fn nginx_include_loop_is_an_error() {
        let dir = tree(&[
            ("nginx.conf", "http {\n  include a.conf;\n}\n"),
            ("a.conf", "access_log /a.log;\ninclude b.conf;\n"),
            ("b.conf", "\n\ninclude a.conf;\n"),
        ]);
        let e = error(&dir.path().join("nginx.conf"));
        assert_eq!(e.file, format!("{}/b.conf", root(&dir)));
        assert_eq!(e.line, 3);
        assert!(e.message.starts_with("include loop"), "{e}");
        // Including the main file itself is a loop too.
        let dir = tree(&[("nginx.conf", "events {}\ninclude *.conf;\n")]);
        let e = error(&dir.path().join("nginx.conf"));
        assert!(e.message.starts_with("include loop"), "{e}");
    }

    // --- Apache --------------------------------------------------------------------------

    const DEBIAN_APACHE: &str = r#"# This is the main Apache server configuration file.
#ServerRoot "/etc/apache2"

DefaultRuntimeDir ${APACHE_RUN_DIR}
PidFile ${APACHE_PID_FILE}
Timeout 300
User ${APACHE_RUN_USER}
Group ${APACHE_RUN_GROUP}

HostnameLookups Off
ErrorLog ${APACHE_LOG_DIR}/error.log
LogLevel warn

IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf

Include ports.conf

<Directory />
	Options FollowSymLinks
	AllowOverride None
	Require all denied
</Directory>

AccessFileName .htaccess

LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" vhost_combined
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
LogFormat "%h %l %u %t \"%r\" %>s %O" common
LogFormat "%{Referer}i -> %U" referer
LogFormat "%{User-agent}i" agent

IncludeOptional conf-enabled/*.conf
IncludeOptional sites-enabled/*.conf
"#;

    const DEBIAN_ENVVARS: &str = r#"# envvars - default environment variables for apache2ctl

# this won't be correct after changing uid
unset HOME

# for supporting multiple apache2 instances
if [ "${APACHE_CONFDIR##/etc/apache2-}" != "${APACHE_CONFDIR}" ] ; then
	SUFFIX="-${APACHE_CONFDIR##/etc/apache2-}"
else
	SUFFIX=
fi

export APACHE_RUN_USER=www-data
export APACHE_RUN_GROUP=www-data
export APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid
export APACHE_RUN_DIR=/var/run/apache2$SUFFIX
export APACHE_LOCK_DIR=/var/lock/apache2$SUFFIX
# Only /var/log/apache2 is handled by /etc/logrotate.d/apache2.
export APACHE_LOG_DIR=/var/log/apache2$SUFFIX
export LANG=C
export LANG
"#;

    const DEBIAN_VHOST: &str = r#"<VirtualHost *:80>
	ServerAdmin webmaster@localhost
	DocumentRoot /var/www/html

	ErrorLog ${APACHE_LOG_DIR}/error.log
	CustomLog ${APACHE_LOG_DIR}/access.log combined
</VirtualHost>
"#;

    fn debian_apache(envvars: bool) -> tempfile::TempDir {
        let mut files = vec![
            ("apache2/apache2.conf", DEBIAN_APACHE),
            ("apache2/ports.conf", "Listen 80\n\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\n"),
            ("apache2/mods-enabled/mime.load", "LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so\n"),
            ("apache2/conf-enabled/other-vhosts-access-log.conf", "# Define an access log for VirtualHosts that don't define their own logfile\nCustomLog ${APACHE_LOG_DIR}/other_vhosts_access.log vhost_combined\n"),
            ("apache2/sites-enabled/000-default.conf", DEBIAN_VHOST),
        ];
        if envvars {
            files.push(("apache2/envvars", DEBIAN_ENVVARS));
        }
        tree(&files)
    }

    #[test]
    fn debian_apache_configuration() {
        let dir = debian_apache(true);
        let r = root(&dir);
        let main = dir.path().join("apache2/apache2.conf");
        let config = read(&main).unwrap();
        let names: Vec<&str> = config.formats.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "apache:vhost_combined",
                "apache:combined",
                "apache:common",
                "apache:referer",
                "apache:agent"
            ]
        );
        let combined = format(&config, "apache:combined");
        assert_eq!(
            combined.text,
            r#"%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#
        );
        assert_eq!(combined.origin, format!("{}:28", main.display()));
        assert_eq!(combined.dialect, Dialect::Apache);
        assert_eq!(
            logs(&config),
            [
                (
                    "/var/log/apache2/other_vhosts_access.log".into(),
                    "apache:vhost_combined".into()
                ),
                (
                    "/var/log/apache2/access.log".into(),
                    "apache:combined".into()
                ),
            ]
        );
        assert_eq!(
            config.logs[1].origin,
            format!("{r}/apache2/sites-enabled/000-default.conf:6")
        );
    }

    #[test]
    fn apache_variables_from_the_environment_else_stars() {
        let dir = debian_apache(false);
        let main = dir.path().join("apache2/apache2.conf");
        let config = read(&main).unwrap();
        assert_eq!(config.logs[1].path, "*/access.log");
        let env = |name: &str| (name == "APACHE_LOG_DIR").then(|| "/srv/logs".to_string());
        let config = ServerConfig::read_with(&main, &env).unwrap();
        assert_eq!(config.logs[1].path, "/srv/logs/access.log");
    }

    #[test]
    fn a_vhost_file_alone_uses_debians_nicknames() {
        let dir = tree(&[("site.conf", DEBIAN_VHOST)]);
        let config = read(&dir.path().join("site.conf")).unwrap();
        assert_eq!(
            config.formats,
            [NamedFormat {
                name: "apache:combined".into(),
                dialect: Dialect::Apache,
                text: APACHE_FALLBACKS[0].1.into(),
                origin: "built in (Debian apache2.conf)".into(),
            }]
        );
        assert_eq!(
            logs(&config),
            [("*/access.log".into(), "apache:combined".into())]
        );
    }

    const RHEL_HTTPD: &str = r#"ServerRoot "@/etc/httpd"
Listen 80
Include conf.modules.d/*.conf
User apache
Group apache
<Directory />
    AllowOverride none
    Require all denied
</Directory>
ErrorLog "logs/error_log"
LogLevel warn

<IfModule log_config_module>
    LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined
    LogFormat "%h %l %u %t \"%r\" %>s %b" common

    <IfModule logio_module>
      # You need to enable mod_logio.c to use %I and %O
      LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %I %O" combinedio
    </IfModule>

    #CustomLog "logs/access_log" common
    CustomLog "logs/access_log" combined
</IfModule>

IncludeOptional conf.d/*.conf
"#;

    #[test]
    fn rhel_httpd_configuration() {
        let dir = tree(&[
            ("etc/httpd/conf.modules.d/00-base.conf", "LoadModule log_config_module modules/mod_log_config.so\nLoadModule logio_module modules/mod_logio.so\n"),
            ("etc/httpd/conf.d/ssl.conf", "Listen 443 https\n<VirtualHost _default_:443>\nTransferLog logs/ssl_access_log\nCustomLog logs/ssl_request_log \\\n          \"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \\\"%r\\\" %b\"\n</VirtualHost>\n"),
        ]);
        let r = root(&dir);
        let conf = RHEL_HTTPD.replace('@', &r);
        let main = dir.path().join("etc/httpd/conf/httpd.conf");
        fs::create_dir_all(main.parent().unwrap()).unwrap();
        fs::write(&main, conf).unwrap();
        let config = read(&main).unwrap();
        let ssl = format!("{r}/etc/httpd/conf.d/ssl.conf");
        assert_eq!(
            logs(&config),
            [
                (
                    format!("{r}/etc/httpd/logs/access_log"),
                    "apache:combined".into()
                ),
                (
                    format!("{r}/etc/httpd/logs/ssl_access_log"),
                    APACHE_CLF_NAME.into()
                ),
                (
                    format!("{r}/etc/httpd/logs/ssl_request_log"),
                    format!("apache:{ssl}:4")
                ),
            ]
        );
        assert_eq!(
            format(&config, &format!("apache:{ssl}:4")).text,
            r#"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b"#
        );
        assert_eq!(format(&config, APACHE_CLF_NAME).text, APACHE_CLF);
        assert_eq!(
            format(&config, "apache:combinedio").origin,
            format!("{}:19", main.display())
        );
    }

    #[test]
    fn apache_piped_and_special_logs() {
        let dir = tree(&[(
            "httpd.conf",
            "ServerRoot /srv/httpd\n\
             Define LOGS /var/log/httpd\n\
             LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\"\n\
             TransferLog ${LOGS}/transfer.log\n\
             customlog \"|/usr/bin/rotatelogs -l ${LOGS}/access.%Y%m%d.log 86400\" common\n\
             CustomLog \"|$/usr/sbin/rotatelogs /var/log/httpd/plain 5M\" common\n\
             CustomLog \"|| /usr/sbin/rotatelogs -n 5 /var/log/httpd/numbered 1M\" common\n\
             CustomLog \"|/usr/sbin/cronolog -S /var/log/httpd/current /var/log/httpd/%Y/%m/access-%d.log\" common env=!dontlog\n\
             CustomLog \"|/usr/bin/logger -t httpd\" common\n\
             CustomLog syslog:local1 common\n\
             GlobalLog logs/global.log common\n",
        )]);
        let main = dir.path().join("httpd.conf");
        let config = read(&main).unwrap();
        let inline = format!("apache:{}:3", main.display());
        assert_eq!(
            format(&config, &inline).text,
            r#"%h %l %u %t \"%r\" %>s %b"#
        );
        assert_eq!(
            logs(&config),
            [
                ("/var/log/httpd/transfer.log".into(), inline.clone()),
                ("/var/log/httpd/access.*.log".into(), "apache:common".into()),
                ("/var/log/httpd/plain.*".into(), "apache:common".into()),
                ("/var/log/httpd/numbered".into(), "apache:common".into()),
                (
                    "/var/log/httpd/*/*/access-*.log".into(),
                    "apache:common".into()
                ),
                ("/srv/httpd/logs/global.log".into(), "apache:common".into()),
            ]
        );
        assert_eq!(config.logs[1].origin, format!("{}:5", main.display()));
    }

    #[test]
    fn apache_errors() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "Listen 80\nLogFormat \"%h %l common\n",
                2,
                "unterminated quoted string",
            ),
            (
                "Listen 80\n\nCustomLog /x.log mine\n",
                3,
                "unknown log format nickname \"mine\"",
            ),
            (
                "Listen 80\nCustomLog /x.log\n",
                2,
                "CustomLog takes two or three arguments",
            ),
            (
                "Listen 80\nInclude /nonexistent/*.conf\n",
                2,
                "Include: no file matches",
            ),
        ];
        for (text, line, message) in cases {
            let dir = tree(&[("httpd.conf", text)]);
            let path = dir.path().join("httpd.conf");
            let e = error(&path);
            assert_eq!(
                (e.file.as_str(), e.line),
                (path.to_str().unwrap(), *line),
                "{text}: {e}"
            );
            assert!(e.message.starts_with(message), "{text}: {e}");
        }
        // A server's own file that did not come with its configuration is left out, noted.
        let dir = tree(&[(
            "httpd.conf",
            "Listen 80\nInclude /nonexistent/httpd-test.conf\n",
        )]);
        let config = read(&dir.path().join("httpd.conf")).unwrap();
        assert_eq!(config.notes.len(), 1, "{config:?}");
        assert!(config.notes[0].contains("/nonexistent/httpd-test.conf is not here"));
        // IncludeOptional never fails for a missing path.
        let dir = tree(&[(
            "httpd.conf",
            "Listen 80\nIncludeOptional /nonexistent/httpd-test.conf\nIncludeOptional /nonexistent/*.conf\n",
        )]);
        assert_eq!(
            read(&dir.path().join("httpd.conf")).unwrap(),
            ServerConfig::default()
        );
    }

    #[test]
    fn apache_include_loop_and_directories() {
        let dir = tree(&[
            ("httpd.conf", "Listen 80\nInclude sub\n"),
            ("sub/a.conf", "CustomLog /a.log common\n"),
            ("sub/deeper/b.conf", "CustomLog /b.log common\n"),
        ]);
        let config = read(&dir.path().join("httpd.conf")).unwrap();
        assert_eq!(
            logs(&config),
            [
                ("/a.log".into(), "apache:common".into()),
                ("/b.log".into(), "apache:common".into()),
            ]
        );
        let dir = tree(&[
            ("httpd.conf", "Listen 80\nInclude a.conf\n"),
            ("a.conf", "# comment\nInclude httpd.conf\n"),
        ]);
        let e = error(&dir.path().join("httpd.conf"));
        assert_eq!(
            (e.file.clone(), e.line),
            (format!("{}/a.conf", root(&dir)), 2)
        );
        assert!(e.message.starts_with("include loop"), "{e}");
    }

    // --- Both ----------------------------------------------------------------------------

    #[test]
    fn files_that_are_not_configurations() {
        let missing = Path::new("/nonexistent/logcount/nginx.conf");
        let e = error(missing);
        assert_eq!(e.line, 0);
        assert!(
            e.to_string()
                .starts_with("/nonexistent/logcount/nginx.conf: cannot read: "),
            "{e}"
        );
        let dir = tree(&[("notes.txt", "just some text\nnothing to see here\n")]);
        let path = dir.path().join("notes.txt");
        assert_eq!(
            error(&path).to_string(),
            format!(
                "{}: neither an nginx nor an Apache configuration",
                path.display()
            )
        );
    }

    #[test]
    fn dialects_told_apart() {
        assert_eq!(detect(DEBIAN_NGINX), Some(Dialect::Nginx));
        assert_eq!(
            detect("include /etc/nginx/conf.d/*.conf;\n"),
            Some(Dialect::Nginx)
        );
        assert_eq!(detect("server {\n listen 80;\n}\n"), Some(Dialect::Nginx));
        assert_eq!(detect(DEBIAN_APACHE), Some(Dialect::Apache));
        assert_eq!(detect(RHEL_HTTPD), Some(Dialect::Apache));
        assert_eq!(detect(DEBIAN_VHOST), Some(Dialect::Apache));
        assert_eq!(detect("Include other.conf\n"), Some(Dialect::Apache));
        assert_eq!(detect("# only a comment\n"), None);
    }

    #[test]
    fn wildcards_and_rewrites() {
        assert!(wild_match("a*b*c", "axxbyyc"));
        assert!(wild_match("*", ""));
        assert!(!wild_match("a*b", "axxbc"));
        assert!(wild_match("a*b", "abab"));
        assert_eq!(
            strftime_to_stars("/l/%Y-%m-%d_%-H%%.log"),
            "/l/*-*-*_*%.log"
        );
        assert_eq!(nginx_vars_to_stars("/l/$host$1.${x}y$"), "/l/*.*y$");
        assert_eq!(unknown_vars_to_stars("${A}${B}/x/${C}"), "*/x/*");
    }
}
