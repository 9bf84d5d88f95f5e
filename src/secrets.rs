//! What counts as a secret value: keys that name one (`DB_PASSWORD`, `s3.secret-key`) and URLs with a password
//! in them. One rule for both sides: the checks refuse such values written in the spec (strata's manifests end
//! up in Git and in `kubectl get -o yaml`), and `plan`/`diff` mask them when they print cluster objects.

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

/// Masks, in place, every value an output must not show: values under a key [`secret_like_key`] names
/// (`sparkConf`, `flinkConfiguration`, ConfigMap data), the `value` of an `env` entry whose `name` is one,
/// and any URI with a password. `plan` and `diff` both print objects through this one rule.
pub fn mask_secret_values(v: &mut serde_json::Value, mask: &dyn Fn(&serde_json::Value) -> String) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let env_secret = map.get("name").and_then(Value::as_str).is_some_and(secret_like_key);
            // An ExternalSecret's `data[]` entry: `secretKey` is the name of a key of the Secret ESO writes,
            // next to the store reference it is fetched from, never a value.
            let names_a_key = map.contains_key("remoteRef");
            for (k, child) in map.iter_mut() {
                let hide = match child {
                    Value::String(s) if names_a_key && k == "secretKey" => url_with_password(s),
                    Value::String(s) => {
                        url_with_password(s) || secret_like_key(k) || (env_secret && k == "value" && !s.is_empty())
                    }
                    // A boolean carries no secret, whatever its key (`automountServiceAccountToken`).
                    Value::Number(_) => secret_like_key(k),
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

/// Masks every Secret-like value of any kind by its key (the rule `check` refuses them by), so a value
/// that reached a cluster before strata refused it is not printed either: `plan`, `drift` and `diff` all
/// show objects through this.
pub fn mask_secrets(o: &mut serde_json::Value) {
    mask_secret_values(o, &mask);
}

/// A Secret value shown as `*** (sha256:1a2b3c4d)`: reviewers see that it changed, never what it is.
pub fn mask(v: &serde_json::Value) -> String {
    use sha2::{Digest, Sha256};
    let raw = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let d = Sha256::digest(raw.as_bytes());
    format!("*** (sha256:{})", d.iter().take(4).map(|b| format!("{b:02x}")).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_external_secrets_key_names_are_shown_and_a_secret_key_value_is_not() {
        let mut v = serde_json::json!({"spec": {"data": [{"secretKey": "password", "remoteRef": {"key": "prod/db"}}]},
            "sparkConf": {"spark.hadoop.fs.s3a.secret.key": "x"}, "secretKey": "hunter2"});
        mask_secrets(&mut v);
        assert_eq!(v["spec"]["data"][0]["secretKey"], "password");
        assert_eq!(v["secretKey"], mask(&serde_json::json!("hunter2")));
        assert_ne!(v["sparkConf"]["spark.hadoop.fs.s3a.secret.key"], "x");
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

    /// A pod spec's `automountServiceAccountToken: false` is a switch, not a token: `plan`/`diff` show it.
    #[test]
    fn booleans_are_never_masked() {
        let mut v = serde_json::json!({"spec": {"automountServiceAccountToken": false, "password": "pw", "token": 7}});
        mask_secret_values(&mut v, &|_| "***".to_string());
        assert_eq!(
            v,
            serde_json::json!({"spec": {"automountServiceAccountToken": false, "password": "***", "token": "***"}})
        );
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
}
