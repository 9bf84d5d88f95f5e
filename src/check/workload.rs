//! Rules every workload domain applies to the pods it describes: image references that pin a version,
//! environment variable names Kubernetes accepts, and no secret values written into the spec (strata's
//! manifests end up in Git and in `kubectl get -o yaml`; secrets belong in Secrets the spec only names).

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::pod::{EnvValue, EnvVar};
/// Re-exported for branches written before it moved to `crate::secrets` (its home); remove once merged.
pub use crate::secrets::mask_secret_values;
use crate::secrets::{secret_like_key, url_with_password};
use crate::source::Spanned;

/// What is wrong with an image reference, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageIssue {
    Empty,
    /// Spaces or upper-case letters in the repository: the runtime refuses to pull it.
    Malformed,
    /// No tag and no digest: the runtime pulls `latest`.
    NoTag,
    Latest,
}

/// Classifies `registry:5000/team/app:1.2@sha256:...`-style references. A digest pins the image whatever
/// the tag says.
pub fn image_issue(image: &str) -> Option<ImageIssue> {
    if image.trim().is_empty() {
        return Some(ImageIssue::Empty);
    }
    if image.chars().any(char::is_whitespace) {
        return Some(ImageIssue::Malformed);
    }
    if image.contains("@sha256:") {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    let repo_path = image.rsplit_once(':').map_or(image, |(r, _)| r);
    // The registry host may have upper case; the repository path may not.
    let path = repo_path.split_once('/').map_or(repo_path, |(host, rest)| {
        if host.contains('.') || host.contains(':') || host == "localhost" { rest } else { repo_path }
    });
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Some(ImageIssue::Malformed);
    }
    match last.rsplit_once(':') {
        None => Some(ImageIssue::NoTag),
        Some((_, "latest")) => Some(ImageIssue::Latest),
        Some((_, "")) => Some(ImageIssue::Malformed),
        Some(_) => None,
    }
}

/// Reports an image problem under `<domain>::image` (errors) or `<domain>::image-tag` (an unpinned tag,
/// a warning: it works, but every pod restart may run different code).
pub fn check_image(
    image: &Spanned<String>,
    owner: &str,
    image_code: &'static str,
    tag_code: &'static str,
    d: &mut Diagnostics,
) {
    let Some(issue) = image_issue(&image.value) else { return };
    let example = "e.g. \"apache/airflow:3.1.3\" or \"registry.acme.io/app:1.4.2\"";
    let diag = match issue {
        ImageIssue::Empty => Diagnostic::error(image_code, format!("{owner} has an empty image"))
            .at(image.span, "no image to run")
            .help(format!("give the image with a version tag, {example}")),
        ImageIssue::Malformed => {
            Diagnostic::error(image_code, format!("`{}` is not a valid image reference", image.value))
                .at(image.span, "spaces, upper-case repository names and empty tags cannot be pulled")
                .help(format!("write `[registry/]repository:tag` in lower case, {example}"))
        }
        ImageIssue::NoTag => Diagnostic::warning(tag_code, format!("image `{}` has no tag", image.value))
            .at(image.span, "pulls `latest`, whatever that is at the time")
            .help(format!("pin a version so every pod runs the same code: `{}:<version>`", image.value)),
        ImageIssue::Latest => Diagnostic::warning(tag_code, format!("image `{}` uses the `latest` tag", image.value))
            .at(image.span, "`latest` changes under running workloads")
            .help("pin a version (or a digest `@sha256:...`) so every pod runs the same code"),
    };
    d.push(diag.note_line(format!("in {owner}")));
}

/// Reports a URI-valued field (a main file, a dependency, a checkpoint folder) that carries a password:
/// `what` names the field for the message (`main`, `deps repositories`, `checkpoints dir`).
pub fn check_uri(what: &str, uri: &Spanned<String>, code: &'static str, d: &mut Diagnostics) {
    if url_with_password(&uri.value) {
        d.push(
            Diagnostic::error(code, format!("`{what}` has a password in its URI"))
                .at(uri.span, "`user:password@` in plain text")
                .help("drop the credentials from the URI and give them to the job from a Secret: `env \"NAME\" secret=\"<secret name>\" key=\"<key>\"`, read by the client library (e.g. AWS_SECRET_ACCESS_KEY)")
                .note_line("strata never writes secret values into manifests or the Git history"),
        );
    }
}

/// [`check_uri`] over every URI-valued field of a job.
pub fn check_job_uris(uris: &[(&str, &Spanned<String>)], code: &'static str, d: &mut Diagnostics) {
    for (what, uri) in uris {
        check_uri(what, uri, code, d);
    }
}

/// Why `name` is not an environment variable name Kubernetes accepts, or `None`.
pub fn env_name_issue(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    let first = chars.next()?;
    if first.is_ascii_digit() {
        return Some("starts with a digit");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)) {
        return Some("may only contain letters, digits, `_`, `-` and `.`");
    }
    None
}

/// Checks one environment variable: a valid name, and no secret written as a plain value.
pub fn check_env(e: &EnvVar, name_code: &'static str, secret_code: &'static str, d: &mut Diagnostics) {
    if e.name.value.is_empty() {
        d.push(
            Diagnostic::error(name_code, "environment variable with an empty name")
                .at(e.name.span, "no name")
                .help("give the variable a name, e.g. `env \"LOG_LEVEL\" \"info\"`"),
        );
    } else if let Some(why) = env_name_issue(&e.name.value) {
        d.push(
            Diagnostic::error(name_code, format!("`{}` is not a valid environment variable name", e.name.value))
                .at(e.name.span, format!("the name {why}"))
                .help("use letters, digits and `_`, starting with a letter, e.g. `LOG_LEVEL`"),
        );
    }
    if let EnvValue::Literal(v) = &e.value {
        check_literal(&e.name, v, "env", secret_code, d);
    }
}

/// Reports a plain value that is a secret: because its key says so, or because it is a URL with a
/// password. `node` is how such entries are written (`env`, `config`), for the fix.
pub fn check_literal(
    key: &Spanned<String>,
    value: &Spanned<String>,
    node: &str,
    code: &'static str,
    d: &mut Diagnostics,
) {
    if url_with_password(&value.value) {
        d.push(
            Diagnostic::error(code, format!("`{}` has a password in plain text", key.value))
                .at(value.span, "a URL with credentials")
                .also(key.span, "set here")
                .help(format!(
                    "put the URL in a Secret and reference it: `env \"{}\" secret=\"<secret name>\" key=\"<key>\"`",
                    key.value
                ))
                .note_line("strata never writes secret values into manifests or the Git history"),
        );
    } else if secret_like_key(&key.value) && !value.value.is_empty() {
        let help = if node == "env" {
            format!("store it in a Secret and write `env \"{}\" secret=\"<secret name>\" key=\"<key>\"`", key.value)
        } else {
            "store it in a Secret and pass it as an environment variable (`env \"NAME\" secret=\"...\" key=\"...\"`) that the setting reads".to_string()
        };
        d.push(
            Diagnostic::error(code, format!("`{}` looks like a secret written in plain text", key.value))
                .at(value.span, "a literal value")
                .also(key.span, "a secret by its name")
                .help(help)
                .note_line("strata never writes secret values into manifests or the Git history"),
        );
    }
}

/// The AppArmor annotation prefix (`container.apparmor.security.beta.kubernetes.io/<container>`).
pub const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

/// Whether Pod Security `baseline` (and so `restricted`) admits this AppArmor annotation value: unset,
/// `runtime/default` or `localhost/<profile>` (pod-security-admission `policy/check_appArmorProfile.go`).
pub fn apparmor_allowed(value: &str) -> bool {
    let v = value.trim();
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apparmor_values_baseline_admits() {
        for ok in ["", "runtime/default", "localhost/flink", " runtime/default "] {
            assert!(apparmor_allowed(ok), "{ok:?}");
        }
        for refused in ["unconfined", "Unconfined", "docker-default", "localhost"] {
            assert!(!apparmor_allowed(refused), "{refused:?}");
        }
    }

    #[test]
    fn images() {
        assert_eq!(image_issue("apache/airflow:3.1.3"), None);
        assert_eq!(image_issue("registry.acme.io:5000/team/app:1.2"), None);
        assert_eq!(image_issue("flink@sha256:abcd"), None);
        assert_eq!(image_issue("apache/airflow"), Some(ImageIssue::NoTag));
        assert_eq!(image_issue("registry.acme.io:5000/team/app"), Some(ImageIssue::NoTag));
        assert_eq!(image_issue("apache/airflow:latest"), Some(ImageIssue::Latest));
        assert_eq!(image_issue(""), Some(ImageIssue::Empty));
        assert_eq!(image_issue("  "), Some(ImageIssue::Empty));
        assert_eq!(image_issue("apache/air flow:1"), Some(ImageIssue::Malformed));
        assert_eq!(image_issue("Apache/airflow:1"), Some(ImageIssue::Malformed));
        assert_eq!(image_issue("Registry.Acme.io/airflow:1"), None);
        assert_eq!(image_issue("apache/airflow:"), Some(ImageIssue::Malformed));
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name_issue("LOG_LEVEL"), None);
        assert_eq!(env_name_issue("my.var-1"), None);
        assert!(env_name_issue("1ABC").is_some());
        assert!(env_name_issue("A B").is_some());
        assert!(env_name_issue("A=B").is_some());
    }
}
