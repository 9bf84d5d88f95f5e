//! Kafka's topic-level configuration keys with their types and valid ranges, so a typo or an out-of-range
//! value is a compile error instead of a KafkaTopic the Topic Operator marks NotReady
//! ("InvalidConfigurationException: Unknown topic config name") minutes after the merge.
//!
//! The table follows `LogConfig` of Apache Kafka 4.x (storage/.../log/LogConfig.java): the same names,
//! types (INT = 32-bit, LONG = 64-bit) and lower bounds. Durations (`7d`) and sizes (`1Gi`) are accepted
//! for the `*.ms` and `*.bytes` keys and converted to Kafka's units.

use crate::model::Scalar;
use crate::model::kafka::KafkaVersion;
use crate::units::{Bytes, Duration};

/// What a key's value is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A whole number in `min..=max`, or exactly `also` (Kafka's "-1 means default" for some levels).
    Int {
        min: i64,
        max: i64,
        also: Option<i64>,
    },
    /// Milliseconds (LONG): a whole number or a duration such as `"7d"`.
    Millis {
        min: i64,
    },
    /// Bytes: a whole number or a size such as `"1Gi"`; `max` is `i32::MAX` for Kafka INT keys.
    Bytes {
        min: i64,
        max: i64,
    },
    /// A plain count (LONG).
    Count {
        min: i64,
    },
    Ratio,
    Bool,
    /// One of these strings (case-sensitive, as Kafka compares them).
    Enum(&'static [&'static str]),
    /// `delete`, `compact`, or both separated by a comma.
    CleanupPolicy,
    /// `*` or `partition:broker,partition:broker`.
    ThrottledReplicas,
}

/// One topic-level config key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    /// The first Kafka release that knows the key.
    pub since: KafkaVersion,
    /// The release that removed it, with what to use instead.
    pub removed: Option<(KafkaVersion, &'static str)>,
}

const INT_MAX: i64 = i32::MAX as i64;
const V0: KafkaVersion = KafkaVersion::new(0, 0);
const fn v(major: u16, minor: u16) -> KafkaVersion {
    KafkaVersion::new(major, minor)
}

const fn key(name: &'static str, kind: Kind) -> Key {
    Key { name, kind, since: V0, removed: None }
}

const fn since(name: &'static str, kind: Kind, since: KafkaVersion) -> Key {
    Key { name, kind, since, removed: None }
}

/// The compression codecs a topic may force (`BrokerCompressionType`).
pub const COMPRESSION_TYPES: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];

/// Every topic-level key Kafka 4.x accepts, plus the ones 4.0 removed (flagged).
pub const KEYS: &[Key] = &[
    key("cleanup.policy", Kind::CleanupPolicy),
    // KIP-390 (3.8): per-codec levels. gzip: 1-9, or -1 for zlib's default.
    since("compression.gzip.level", Kind::Int { min: 1, max: 9, also: Some(-1) }, v(3, 8)),
    since("compression.lz4.level", Kind::Int { min: 1, max: 17, also: None }, v(3, 8)),
    key("compression.type", Kind::Enum(COMPRESSION_TYPES)),
    since("compression.zstd.level", Kind::Int { min: -131_072, max: 22, also: None }, v(3, 8)),
    key("delete.retention.ms", Kind::Millis { min: 0 }),
    key("file.delete.delay.ms", Kind::Millis { min: 0 }),
    key("flush.messages", Kind::Count { min: 1 }),
    key("flush.ms", Kind::Millis { min: 0 }),
    key("follower.replication.throttled.replicas", Kind::ThrottledReplicas),
    key("index.interval.bytes", Kind::Bytes { min: 0, max: INT_MAX }),
    key("leader.replication.throttled.replicas", Kind::ThrottledReplicas),
    // Tiered storage (KIP-405): -2 means "same as retention.*", -1 unlimited.
    since("local.retention.bytes", Kind::Bytes { min: -2, max: i64::MAX }, v(3, 6)),
    since("local.retention.ms", Kind::Millis { min: -2 }, v(3, 6)),
    key("max.compaction.lag.ms", Kind::Millis { min: 1 }),
    key("max.message.bytes", Kind::Bytes { min: 0, max: INT_MAX }),
    // Kafka 4.0 dropped message down-conversion (KIP-724) and with it this key: a 4.x broker refuses it as
    // "Unknown topic config name" (LogConfig of 4.0 and 4.1 no longer defines it; tests/kafka_broker.rs).
    Key {
        name: "message.downconversion.enable",
        kind: Kind::Bool,
        since: V0,
        removed: Some((
            v(4, 0),
            "Kafka 4.0 no longer down-converts messages (KIP-724) and refuses the key: remove the entry",
        )),
    },
    Key {
        name: "message.format.version",
        kind: Kind::Enum(&[]),
        since: V0,
        removed: Some((v(4, 0), "Kafka 4.0 writes only message format v2 (KIP-724); remove the entry")),
    },
    since("message.timestamp.after.max.ms", Kind::Millis { min: 0 }, v(3, 6)),
    since("message.timestamp.before.max.ms", Kind::Millis { min: 0 }, v(3, 6)),
    Key {
        name: "message.timestamp.difference.max.ms",
        kind: Kind::Millis { min: 0 },
        since: V0,
        removed: Some((
            v(4, 0),
            "use `message.timestamp.before.max.ms` and `message.timestamp.after.max.ms` instead (KIP-937)",
        )),
    },
    key("message.timestamp.type", Kind::Enum(&["CreateTime", "LogAppendTime"])),
    key("min.cleanable.dirty.ratio", Kind::Ratio),
    key("min.compaction.lag.ms", Kind::Millis { min: 0 }),
    key("min.insync.replicas", Kind::Int { min: 1, max: INT_MAX, also: None }),
    key("preallocate", Kind::Bool),
    // KIP-1241 (4.4): delay uploads to tiered storage; -1 means "local retention".
    since("remote.copy.lag.bytes", Kind::Bytes { min: -1, max: i64::MAX }, v(4, 4)),
    since("remote.copy.lag.ms", Kind::Millis { min: -1 }, v(4, 4)),
    // KIP-950 (3.9): turning tiered storage off per topic.
    since("remote.log.copy.disable", Kind::Bool, v(3, 9)),
    since("remote.log.delete.on.disable", Kind::Bool, v(3, 9)),
    since("remote.storage.enable", Kind::Bool, v(3, 6)),
    // Kafka accepts any negative number as "no limit"; strata asks for the documented -1.
    key("retention.bytes", Kind::Bytes { min: -1, max: i64::MAX }),
    key("retention.ms", Kind::Millis { min: -1 }),
    // Kafka 4.0 raised the minimum segment size to 1 MiB (KIP-1030); before it was 14 bytes.
    key("segment.bytes", Kind::Bytes { min: 1 << 20, max: INT_MAX }),
    key("segment.index.bytes", Kind::Bytes { min: 4, max: INT_MAX }),
    key("segment.jitter.ms", Kind::Millis { min: 0 }),
    key("segment.ms", Kind::Millis { min: 1 }),
    key("unclean.leader.election.enable", Kind::Bool),
];

pub fn lookup(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// Names of the keys a current cluster accepts (for "did you mean").
pub fn known_names() -> impl Iterator<Item = &'static str> {
    KEYS.iter().filter(|k| k.removed.is_none()).map(|k| k.name)
}

/// The topic-level key for a broker-level name people often copy from `server.properties`.
pub fn topic_key_for_broker_key(name: &str) -> Option<&'static str> {
    let irregular = match name {
        "message.max.bytes" => Some("max.message.bytes"),
        "log.roll.ms" | "log.roll.hours" => Some("segment.ms"),
        "log.roll.jitter.ms" | "log.roll.jitter.hours" => Some("segment.jitter.ms"),
        "log.retention.hours" | "log.retention.minutes" => Some("retention.ms"),
        "log.index.size.max.bytes" => Some("segment.index.bytes"),
        "log.flush.interval.messages" => Some("flush.messages"),
        "log.flush.interval.ms" => Some("flush.ms"),
        "log.cleaner.delete.retention.ms" => Some("delete.retention.ms"),
        "log.cleaner.min.compaction.lag.ms" => Some("min.compaction.lag.ms"),
        "log.cleaner.max.compaction.lag.ms" => Some("max.compaction.lag.ms"),
        "log.cleaner.min.cleanable.ratio" => Some("min.cleanable.dirty.ratio"),
        "log.segment.delete.delay.ms" => Some("file.delete.delay.ms"),
        "log.local.retention.ms" => Some("local.retention.ms"),
        "log.local.retention.bytes" => Some("local.retention.bytes"),
        "retention.hours" | "retention.minutes" => Some("retention.ms"),
        _ => None,
    };
    irregular.or_else(|| {
        let bare = name.strip_prefix("log.")?;
        lookup(bare).filter(|k| k.removed.is_none()).map(|k| k.name)
    })
}

/// A value in the form Kafka (and Strimzi's examples) expect: numbers as numbers, lists as one string.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Double(f64),
    Bool(bool),
    Str(String),
}

impl Value {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Double(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Str(s) => serde_json::Value::String(s.clone()),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// Why a value does not fit its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub label: String,
    pub help: String,
}

fn problem(message: impl Into<String>, label: impl Into<String>, help: impl Into<String>) -> Problem {
    Problem { message: message.into(), label: label.into(), help: help.into() }
}

fn whole_number(key: &str, s: &Scalar, example: &str) -> Result<i64, Problem> {
    match s {
        Scalar::Int(i) => i64::try_from(*i).map_err(|_| {
            problem(format!("`{key}`: {i} is out of range"), "too large", "Kafka stores this as a 64-bit number")
        }),
        Scalar::Str(t) => t.trim().parse::<i64>().map_err(|_| {
            problem(
                format!("`{key}` takes a whole number, not \"{t}\""),
                "expected a whole number",
                format!("write a whole number without quotes, e.g. {example}"),
            )
        }),
        Scalar::Float(f) => Err(problem(
            format!("`{key}` takes a whole number, not {f}"),
            "not a whole number",
            format!("write a whole number, e.g. {example}"),
        )),
        other => Err(problem(
            format!("`{key}` takes a whole number, not `{other}`"),
            "expected a whole number",
            format!("write a whole number without quotes, e.g. {example}"),
        )),
    }
}

fn range_check(key: &str, n: i64, min: i64, max: i64, unit: &str) -> Result<i64, Problem> {
    if n < min {
        let help = match min {
            -2 => "use -2 (follow `retention.*`), -1 (no limit), or a positive value".to_string(),
            -1 => "use -1 for \"no limit\", or a positive value".to_string(),
            0 => "use zero or a positive value".to_string(),
            m => format!("use at least {m}{unit}"),
        };
        return Err(problem(format!("`{key}` must be at least {min}, not {n}"), format!("below {min}"), help));
    }
    if n > max {
        return Err(problem(
            format!("`{key}` must be at most {max}{unit}, not {n}"),
            format!("above {max}"),
            if max == INT_MAX {
                format!("Kafka stores `{key}` as a 32-bit number: use at most {max} (just under 2Gi)")
            } else {
                format!("use at most {max}")
            },
        ));
    }
    Ok(n)
}

/// Parses and checks `value` for `key` on a cluster running `version` (when known).
pub fn parse(key: &Key, value: &Scalar, version: Option<KafkaVersion>) -> Result<Value, Problem> {
    let name = key.name;
    match key.kind {
        Kind::Int { min, max, also } => {
            let n = whole_number(name, value, &min.max(1).to_string())?;
            if also == Some(n) {
                return Ok(Value::Int(n));
            }
            range_check(name, n, min, max, "").map(Value::Int).map_err(|mut p| {
                if let Some(a) = also {
                    p.help = format!("use {a} (the codec's default) or a level from {min} to {max}");
                    p.message = format!("`{name}` must be {a} or between {min} and {max}, not {n}");
                }
                p
            })
        }
        Kind::Count { min } => range_check(name, whole_number(name, value, "1000")?, min, i64::MAX, "").map(Value::Int),
        Kind::Millis { min } => {
            let ms = match value {
                Scalar::Str(s) if s.trim().starts_with('-') && s.trim().parse::<i64>().is_err() => {
                    return Err(problem(
                        format!("`{name}`: a duration cannot be negative: `{s}`"),
                        "negative duration",
                        if min < 0 {
                            "write -1 as a number, without quotes, for \"no limit\"".to_string()
                        } else {
                            "use zero or a positive duration such as \"7d\"".to_string()
                        },
                    ));
                }
                Scalar::Str(s) if s.trim().parse::<i64>().is_err() => {
                    let d = Duration::parse(s).map_err(|e| {
                        problem(format!("`{name}`: {}", e.message), "expected milliseconds or a duration", e.help)
                    })?;
                    i64::try_from(d.0).map_err(|_| {
                        problem(format!("`{name}`: `{s}` is too long"), "too long", "use -1 for \"no limit\"")
                    })?
                }
                other => whole_number(name, other, "\"7d\" or 604800000")?,
            };
            range_check(name, ms, min, i64::MAX, " ms").map(Value::Int)
        }
        Kind::Bytes { min, max } => {
            let min =
                if name == "segment.bytes" && version.is_some_and(|v| v < KafkaVersion::new(4, 0)) { 14 } else { min };
            let bytes = match value {
                Scalar::Str(s) if s.trim().parse::<i64>().is_err() => {
                    let b = Bytes::parse(s)
                        .map_err(|e| problem(format!("`{name}`: {}", e.message), "expected bytes or a size", e.help))?;
                    i64::try_from(b.0).unwrap_or(i64::MAX)
                }
                other => whole_number(name, other, "\"1Gi\" or 1073741824")?,
            };
            let shown = |n: i64| if n > 0 { format!(" ({})", Bytes(n as u64)) } else { String::new() };
            range_check(name, bytes, min, max, "").map(Value::Int).map_err(|mut p| {
                if bytes > max {
                    p.message = format!("`{name}` must be at most {max} bytes, not {bytes}{}", shown(bytes));
                } else if min > 0 {
                    p.message = format!("`{name}` must be at least {min} bytes{}, not {bytes}", shown(min));
                    p.help = format!("use at least \"{}\"", Bytes(min as u64));
                }
                p
            })
        }
        Kind::Ratio => {
            let f = match value {
                Scalar::Int(i) => *i as f64,
                Scalar::Float(f) => *f,
                Scalar::Str(s) if s.trim().parse::<f64>().is_ok() => s.trim().parse::<f64>().unwrap_or_default(),
                other => {
                    return Err(problem(
                        format!("`{name}` takes a number from 0 to 1, not `{other}`"),
                        "expected a ratio",
                        "write a number such as 0.5",
                    ));
                }
            };
            if !(0.0..=1.0).contains(&f) {
                return Err(problem(
                    format!("`{name}` must be between 0 and 1, not {f}"),
                    "out of range",
                    "it is a fraction of the log: write e.g. 0.5",
                ));
            }
            Ok(Value::Double(f))
        }
        Kind::Bool => match value {
            Scalar::Bool(b) => Ok(Value::Bool(*b)),
            Scalar::Str(s) if s == "true" || s == "false" => Err(problem(
                format!("`{name}` takes #true or #false, not the string \"{s}\""),
                "a string, not a boolean",
                format!("KDL 2.0 writes booleans as #{s}, without quotes"),
            )),
            other => Err(problem(
                format!("`{name}` takes #true or #false, not `{other}`"),
                "expected a boolean",
                "write #true or #false",
            )),
        },
        Kind::Enum(allowed) => {
            let Scalar::Str(s) = value else {
                return Err(problem(
                    format!("`{name}` takes one of {}, not `{value}`", list(allowed)),
                    "expected a string",
                    "put the value in double quotes",
                ));
            };
            if allowed.contains(&s.as_str()) {
                return Ok(Value::Str(s.clone()));
            }
            let help = match crate::diagnostic::did_you_mean(s, allowed.iter().copied()) {
                Some(m) => format!("did you mean \"{m}\"?"),
                None => "Kafka compares these values exactly, including upper and lower case".to_string(),
            };
            Err(problem(format!("`{s}` is not a valid `{name}`"), format!("expected one of {}", list(allowed)), help))
        }
        Kind::CleanupPolicy => {
            let Scalar::Str(s) = value else {
                return Err(problem(
                    format!("`{name}` takes \"delete\", \"compact\" or \"compact,delete\", not `{value}`"),
                    "expected a string",
                    "put the value in double quotes",
                ));
            };
            let mut parts: Vec<&str> = s.split(',').map(str::trim).collect();
            for p in &parts {
                if *p != "delete" && *p != "compact" {
                    let help = match crate::diagnostic::did_you_mean(p, ["delete", "compact"]) {
                        Some(m) => format!("did you mean \"{m}\"?"),
                        None => "use \"delete\", \"compact\" or \"compact,delete\"".to_string(),
                    };
                    return Err(problem(
                        format!("`{p}` is not a cleanup policy"),
                        "expected delete, compact or both",
                        help,
                    ));
                }
            }
            parts.sort_unstable();
            if parts.windows(2).any(|w| w[0] == w[1]) {
                return Err(problem(
                    format!("`{name}` names the same policy twice: \"{s}\""),
                    "repeated policy",
                    "write each policy once, e.g. \"compact,delete\"",
                ));
            }
            // Canonical order, so "delete,compact" and "compact,delete" compile to the same object.
            Ok(Value::Str(parts.join(",")))
        }
        Kind::ThrottledReplicas => {
            let Scalar::Str(s) = value else {
                return Err(problem(
                    format!("`{name}` takes a string, not `{value}`"),
                    "expected a string",
                    "write \"*\" or \"partition:broker,...\" such as \"0:101,1:102\"",
                ));
            };
            let t = s.trim();
            let ok = t.is_empty()
                || t == "*"
                || t.split(',').all(|pair| {
                    pair.trim()
                        .split_once(':')
                        .is_some_and(|(p, b)| p.trim().parse::<u32>().is_ok() && b.trim().parse::<u32>().is_ok())
                });
            if !ok {
                return Err(problem(
                    format!("`{s}` is not a list of throttled replicas"),
                    "expected `*` or `partition:broker` pairs",
                    "write \"*\" for every replica, or pairs such as \"0:101,1:102\"",
                ));
            }
            Ok(Value::Str(t.to_string()))
        }
    }
}

fn list(items: &[&str]) -> String {
    items.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, v: Scalar) -> Result<Value, Problem> {
        parse(lookup(name).expect("known key"), &v, None)
    }

    fn s(x: &str) -> Scalar {
        Scalar::Str(x.to_string())
    }

    #[test]
    fn durations_and_sizes_become_kafka_units() {
        assert_eq!(p("retention.ms", s("7d")), Ok(Value::Int(604_800_000)));
        assert_eq!(p("retention.ms", Scalar::Int(-1)), Ok(Value::Int(-1)));
        assert_eq!(p("retention.ms", s("3600000")), Ok(Value::Int(3_600_000)));
        assert_eq!(p("segment.bytes", s("512Mi")), Ok(Value::Int(536_870_912)));
        assert_eq!(p("retention.bytes", s("10Gi")), Ok(Value::Int(10_737_418_240)));
        assert_eq!(p("local.retention.ms", Scalar::Int(-2)), Ok(Value::Int(-2)));
    }

    #[test]
    fn ranges_follow_kafka() {
        assert!(p("retention.ms", Scalar::Int(-2)).is_err());
        assert!(p("retention.bytes", Scalar::Int(-5)).is_err());
        // segment.bytes is a 32-bit INT with a 1 MiB minimum since Kafka 4.0.
        let e = p("segment.bytes", s("4Gi")).unwrap_err();
        assert!(e.message.contains("at most 2147483647"), "{e:?}");
        assert!(p("segment.bytes", s("512Ki")).is_err());
        assert!(parse(lookup("segment.bytes").unwrap(), &s("512Ki"), Some(KafkaVersion::new(3, 9))).is_ok());
        assert!(p("min.insync.replicas", Scalar::Int(0)).is_err());
        assert_eq!(p("compression.gzip.level", Scalar::Int(-1)), Ok(Value::Int(-1)));
        assert!(p("compression.gzip.level", Scalar::Int(0)).is_err());
        assert!(p("compression.zstd.level", Scalar::Int(-131_072)).is_ok());
        assert!(p("min.cleanable.dirty.ratio", Scalar::Float(1.5)).is_err());
        assert!(p("flush.messages", Scalar::Int(0)).is_err());
    }

    #[test]
    fn strings_and_enums() {
        assert_eq!(p("cleanup.policy", s("delete, compact")), Ok(Value::Str("compact,delete".into())));
        assert!(p("cleanup.policy", s("compact,compact")).is_err());
        assert!(p("cleanup.policy", s("")).is_err());
        let e = p("cleanup.policy", s("compacted")).unwrap_err();
        assert!(e.help.contains("\"compact\""), "{e:?}");
        assert_eq!(p("compression.type", s("zstd")), Ok(Value::Str("zstd".into())));
        assert!(p("compression.type", s("ZSTD")).is_err());
        assert!(p("preallocate", s("true")).is_err());
        assert_eq!(p("preallocate", Scalar::Bool(true)), Ok(Value::Bool(true)));
        assert!(p("leader.replication.throttled.replicas", s("0:101,1:102")).is_ok());
        assert!(p("leader.replication.throttled.replicas", s("0-101")).is_err());
    }

    #[test]
    fn broker_names_map_to_topic_names() {
        assert_eq!(topic_key_for_broker_key("log.retention.ms"), Some("retention.ms"));
        assert_eq!(topic_key_for_broker_key("message.max.bytes"), Some("max.message.bytes"));
        assert_eq!(topic_key_for_broker_key("log.retention.hours"), Some("retention.ms"));
        assert_eq!(topic_key_for_broker_key("log.nonsense"), None);
    }

    #[test]
    fn table_is_sorted_and_unique() {
        let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
