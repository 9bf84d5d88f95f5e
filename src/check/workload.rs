//! Rules every workload domain applies to the pods it describes: image references that pin a version,
//! environment variable names Kubernetes accepts, and no secret values written into the spec (strata's
//! manifests end up in Git and in `kubectl get -o yaml`; secrets belong in Secrets the spec only names).

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::pod::{EnvValue, EnvVar};
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

/// Words that mark a variable or configuration key as holding a secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "fernet",
    "credential",
    "credentials",
    "passphrase",
    // Azure shared access signatures: `fs.azure.sas.<container>.<account>` holds the signature itself.
    "sas",
];
/// Word pairs that do the same (`PRIVATE_KEY`, `s3.secret-key`, `fs.azure.account.key`).
const SECRET_PAIRS: &[(&str, &str)] =
    &[("private", "key"), ("api", "key"), ("secret", "key"), ("account", "key"), ("sql", "alchemy")];
/// Words that say the key is about a secret rather than the secret itself (`TOKEN_URL`, `password.file`,
/// Airflow's `..._CMD` variants that run a command to fetch it).
const METADATA_WORDS: &[&str] = &[
    "url",
    "uri",
    "endpoint",
    "path",
    "file",
    "dir",
    "ttl",
    "timeout",
    "expiry",
    "expiration",
    "lifetime",
    "interval",
    "enabled",
    "enable",
    "type",
    "provider",
    "class",
    "name",
    "cmd",
    "ref",
    "length",
    "algorithm",
];

/// The words of a key: split at every non-alphanumeric character and at camelCase humps
/// (`spark.ssl.keyStorePassword` is key, store, password).
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if (!c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && prev_lower)) && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// True when a variable or configuration key names a secret value: `AIRFLOW__API_AUTH__JWT_SECRET`,
/// `s3.secret-key`, `AIRFLOW_CONN_WAREHOUSE` (Airflow connection URIs carry credentials),
/// `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`. Keys that only describe a secret (`TOKEN_URL`) are not.
pub fn secret_like_key(key: &str) -> bool {
    let w = words(key);
    if w.iter().any(|x| METADATA_WORDS.contains(&x.as_str())) {
        return false;
    }
    // Airflow's `<option>_SECRET` form names a secrets-backend entry, not the value, when the option
    // itself is a secret one (`SQL_ALCHEMY_CONN_SECRET`, `FERNET_KEY_SECRET`).
    if w.len() > 1
        && w.last().is_some_and(|l| l == "secret")
        && w.first().is_some_and(|f| f == "airflow")
        && let Some(base) = key.get(..key.len() - "_secret".len())
        && secret_like_key(base)
    {
        return false;
    }
    if key.to_ascii_uppercase().starts_with("AIRFLOW_CONN_") {
        return true;
    }
    w.iter().any(|x| SECRET_WORDS.contains(&x.as_str()))
        || w.windows(2).any(|p| SECRET_PAIRS.iter().any(|(a, b)| p[0] == *a && p[1] == *b))
}

/// True when `value` is a URL with a password in it (`postgresql://user:pw@host/db`).
pub fn url_with_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else { return false };
    userinfo.split_once(':').is_some_and(|(_, pw)| !pw.is_empty())
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

/// Masks, in place, every value an output must not show: values under a key [`secret_like_key`] names
/// (`sparkConf`, `flinkConfiguration`, ConfigMap data), the `value` of an `env` entry whose `name` is one,
/// and any URI with a password. `plan` and `diff` both print objects through this one rule.
pub fn mask_secret_values(v: &mut serde_json::Value, mask: &dyn Fn(&serde_json::Value) -> String) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let env_secret = map.get("name").and_then(Value::as_str).is_some_and(secret_like_key);
            for (k, child) in map.iter_mut() {
                let hide = match child {
                    Value::String(s) => {
                        url_with_password(s) || secret_like_key(k) || (env_secret && k == "value" && !s.is_empty())
                    }
                    Value::Number(_) | Value::Bool(_) => secret_like_key(k),
                    _ => false,
                };
                if hide {
                    *child = Value::String(mask(child));
                } else {
                    mask_secret_values(child, mask);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| mask_secret_values(i, mask)),
        Value::String(s) if url_with_password(s) => *v = Value::String(mask(v)),
        _ => {}
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
    fn secret_keys() {
        for k in [
            "AIRFLOW__API_AUTH__JWT_SECRET",
            "AIRFLOW__CORE__FERNET_KEY",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
            "AIRFLOW__WEBSERVER__SECRET_KEY",
            "AIRFLOW_CONN_WAREHOUSE",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "s3.secret-key",
            "fs.azure.account.key.acme.blob.core.windows.net",
            "security.ssl.keystore-password",
            "GITHUB_TOKEN",
            "spark.hadoop.fs.s3a.secret.key",
            "fs.s3a.session.token",
            "fs.azure.sas.data.acme.blob.core.windows.net",
            "spark.ssl.keyStorePassword",
            "fs.azure.account.oauth2.client.secret",
        ] {
            assert!(secret_like_key(k), "{k} is a secret");
        }
        for k in [
            "AIRFLOW__CORE__LOAD_EXAMPLES",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD",
            "OAUTH_TOKEN_URL",
            "s3.access-key",
            // An access key id names the credential (AWS: "access key ID"); its secret key is the secret.
            "fs.s3a.access.key",
            "state.backend.type",
            "security.ssl.keystore",
            "KEYCLOAK_SECRET_NAME",
            "TOKENIZER_MODEL",
        ] {
            assert!(!secret_like_key(k), "{k} is not a secret");
        }
    }

    #[test]
    fn urls_with_passwords() {
        assert!(url_with_password("postgresql+psycopg2://airflow:hunter2@db:5432/airflow"));
        assert!(url_with_password("redis://:pw@redis:6379/0"));
        assert!(!url_with_password("postgresql://airflow@db/airflow"));
        assert!(!url_with_password("http://api-server:8080/execution/"));
        assert!(!url_with_password("s3://bucket/path@2024"));
        assert!(!url_with_password("user:pw@host"));
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
