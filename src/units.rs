//! The units platform teams already write: Kubernetes CPU (`500m`, `2`) and memory/size quantities
//! (`512Mi`, `4Gi`, `10G`), and durations (`90s`, `12h`, `7d`). Parsed once into exact integers so arithmetic
//! (quota fit, Kafka's `retention.ms`) never rounds, and printed back in canonical Kubernetes form. The
//! operators' own notations (JVM sizes such as `4g`, cores as JSON numbers) are read here too, so the diff
//! reads sizes in emitted objects with the same code that knows the units.

use std::fmt;

/// CPU in millicores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cpu(pub u64);

/// Memory or storage in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

/// A duration in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

/// Why a unit string was refused, with the fix to show the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError {
    pub message: String,
    pub help: String,
}

impl UnitError {
    fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        UnitError { message: message.into(), help: help.into() }
    }
}

/// 1 million cores / 1 EiB: anything above is a typo, not a platform.
const MAX_MILLICORES: u64 = 1_000_000_000;
const MAX_BYTES: u64 = 1 << 60;

impl Cpu {
    pub fn parse(s: &str) -> Result<Cpu, UnitError> {
        let t = s.trim();
        let help = "write CPU as cores (`2`, `0.5`) or millicores (`500m`)";
        if t.starts_with('-') {
            return Err(UnitError::new(format!("CPU cannot be negative: `{s}`"), help));
        }
        let millis = if let Some(m) = t.strip_suffix('m') {
            m.parse::<u64>().map_err(|_| UnitError::new(format!("`{s}` is not a CPU quantity"), help))?
        } else {
            parse_decimal_scaled(t, 1000).ok_or_else(|| {
                UnitError::new(
                    format!("`{s}` is not a CPU quantity"),
                    if t.ends_with(|c: char| c.is_ascii_alphabetic()) {
                        "CPU takes no unit other than `m` (millicores): write `2` or `500m`".to_string()
                    } else {
                        help.to_string()
                    },
                )
            })?
        };
        if millis > MAX_MILLICORES {
            return Err(UnitError::new(
                format!("`{s}` CPU is more than any cluster has"),
                "check the number: strata accepts at most 1000000 cores",
            ));
        }
        Ok(Cpu(millis))
    }

    pub fn from_f64(v: f64) -> Result<Cpu, UnitError> {
        if v < 0.0 || !v.is_finite() {
            return Err(UnitError::new(
                format!("CPU cannot be negative: `{v}`"),
                "write CPU as cores (`2`, `0.5`) or millicores (`500m`)",
            ));
        }
        Cpu::parse(&format!("{v}"))
    }

    /// Cores written as a JSON number (`0.5`, `2`, Flink's `resource.cpu`), rounded to the millicore as the
    /// operators read them. `None` for a negative or non-finite number. For reading objects already
    /// written; spec input goes through [`Cpu::from_f64`], which refuses what is not a whole millicore.
    pub fn from_cores(cores: f64) -> Option<Cpu> {
        (cores.is_finite() && cores >= 0.0).then(|| Cpu((cores * 1000.0).round() as u64))
    }

    pub fn cores_ceil(self) -> u64 {
        self.0.div_ceil(1000)
    }
}

impl fmt::Display for Cpu {
    /// Canonical Kubernetes form: whole cores as `2`, anything else as millicores `1500m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) { write!(f, "{}", self.0 / 1000) } else { write!(f, "{}m", self.0) }
    }
}

const BINARY: [(&str, u64); 6] =
    [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("Pi", 1 << 50), ("Ei", 1 << 60)];
const DECIMAL: [(&str, u64); 6] = [
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("T", 1_000_000_000_000),
    ("P", 1_000_000_000_000_000),
    ("E", 1_000_000_000_000_000_000),
];

impl Bytes {
    pub fn parse(s: &str) -> Result<Bytes, UnitError> {
        let t = s.trim();
        let help = "write memory and sizes with a Kubernetes suffix: `512Mi`, `4Gi`, `2Ti` (or plain bytes)";
        if t.starts_with('-') {
            return Err(UnitError::new(format!("a size cannot be negative: `{s}`"), help));
        }
        let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let mult = if unit.is_empty() {
            1
        } else if let Some((_, m)) = BINARY.iter().chain(DECIMAL.iter()).find(|(u, _)| *u == unit) {
            *m
        } else {
            return Err(UnitError::new(format!("`{s}` is not a size"), suggest_size_unit(num, unit)));
        };
        let bytes =
            parse_decimal_scaled(num, mult).ok_or_else(|| UnitError::new(format!("`{s}` is not a size"), help))?;
        if bytes > MAX_BYTES {
            return Err(UnitError::new(
                format!("`{s}` is larger than any cluster has"),
                "check the number and the unit: strata accepts at most 1Ei",
            ));
        }
        Ok(Bytes(bytes))
    }

    /// A size as the JVM, Spark and Flink read one (`4g`, `512m`, `2 gb`, `1.5g`, `100b`, Flink's
    /// `2048 mebibytes`), or a Kubernetes binary quantity (`4Gi`). The JVM's units are binary, whatever the
    /// case or a trailing `b`; `bare` is what a number without a unit counts in (Spark reads `4096` as MiB,
    /// Flink as bytes). Lenient, for reading objects already written: `None` only for what none of these
    /// readers takes. Spec input goes through the strict `model::spark::parse_spark_memory`.
    pub fn parse_jvm(s: &str, bare: u64) -> Option<Bytes> {
        let s = s.trim();
        if let Ok(b) = Bytes::parse(s)
            && s.ends_with('i')
        {
            return Some(b);
        }
        let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" => bare,
            "b" | "bytes" => 1,
            "k" | "kb" | "kibibytes" => 1 << 10,
            "m" | "mb" | "mebibytes" => 1 << 20,
            "g" | "gb" | "gibibytes" => 1 << 30,
            "t" | "tb" | "tebibytes" => 1 << 40,
            "p" | "pb" => 1 << 50,
            _ => return None,
        };
        let f: f64 = num.parse().ok()?;
        (f.is_finite() && f >= 0.0).then(|| Bytes((f * mult as f64).round() as u64))
    }

    pub fn mib_ceil(self) -> u64 {
        self.0.div_ceil(1 << 20)
    }
}

fn suggest_size_unit(num: &str, unit: &str) -> String {
    let fix = match unit.to_ascii_lowercase().as_str() {
        "kb" | "kib" | "k" => Some("Ki"),
        "mb" | "mib" | "m" => Some("Mi"),
        "gb" | "gib" | "g" => Some("Gi"),
        "tb" | "tib" | "t" => Some("Ti"),
        "pb" | "pib" | "p" => Some("Pi"),
        _ => None,
    };
    match fix {
        Some(u) => format!("Kubernetes has no `{unit}` unit: did you mean `{num}{u}`?"),
        None => "use one of the Kubernetes suffixes Ki, Mi, Gi, Ti, Pi (binary) or k, M, G, T, P (decimal)".to_string(),
    }
}

impl fmt::Display for Bytes {
    /// The largest binary unit that divides the value exactly: `4Gi`, `1536Mi`, `1000` (bytes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return write!(f, "0");
        }
        for (unit, mult) in BINARY.iter().rev() {
            if self.0.is_multiple_of(*mult) {
                return write!(f, "{}{}", self.0 / mult, unit);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl Duration {
    /// `500ms`, `90s`, `15m`, `12h`, `7d`, `2w`, or a sum such as `1h30m`.
    pub fn parse(s: &str) -> Result<Duration, UnitError> {
        let t = s.trim();
        let help = "write durations as a number and a unit: `500ms`, `90s`, `15m`, `12h`, `7d`, `2w` (or `1h30m`)";
        if t.starts_with('-') {
            return Err(UnitError::new(format!("a duration cannot be negative: `{s}`"), help));
        }
        if t.is_empty() {
            return Err(UnitError::new("empty duration", help));
        }
        let mut total: u64 = 0;
        let mut rest = t;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits == 0 {
                return Err(UnitError::new(format!("`{s}` is not a duration"), help));
            }
            let n: u64 = rest[..digits].parse().map_err(|_| UnitError::new(format!("`{s}` is too large"), help))?;
            rest = &rest[digits..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            let unit = &rest[..unit_len];
            rest = &rest[unit_len..];
            let mult = match unit {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 604_800_000,
                "" => {
                    return Err(UnitError::new(
                        format!("`{s}` has no unit"),
                        format!("add a unit, e.g. `{n}s` or `{n}h`"),
                    ));
                }
                other => {
                    return Err(UnitError::new(format!("`{other}` is not a duration unit in `{s}`"), help));
                }
            };
            total = n
                .checked_mul(mult)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| UnitError::new(format!("`{s}` is too long"), help))?;
        }
        Ok(Duration(total))
    }

    pub fn as_secs(self) -> u64 {
        self.0 / 1000
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)];
        for (u, m) in units {
            if self.0 >= m && self.0.is_multiple_of(m) {
                return write!(f, "{}{}", self.0 / m, u);
            }
        }
        write!(f, "{}ms", self.0)
    }
}

/// Parses `12`, `1.5`, `0.25` exactly into `value * scale` without floating point. `None` on anything
/// else, including results that are not whole numbers after scaling (`0.0001` cores).
fn parse_decimal_scaled(s: &str, scale: u64) -> Option<u64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int_v: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut result = int_v.checked_mul(scale)?;
    let mut denom: u64 = 1;
    let mut frac_v: u64 = 0;
    for b in frac.trim_end_matches('0').bytes() {
        denom = denom.checked_mul(10)?;
        frac_v = frac_v * 10 + u64::from(b - b'0');
    }
    let scaled = frac_v.checked_mul(scale)?;
    if scaled % denom != 0 {
        return None;
    }
    result = result.checked_add(scaled / denom)?;
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_forms() {
        assert_eq!(Cpu::parse("500m").unwrap(), Cpu(500));
        assert_eq!(Cpu::parse("2").unwrap(), Cpu(2000));
        assert_eq!(Cpu::parse("1.5").unwrap(), Cpu(1500));
        assert_eq!(Cpu::parse("0.25").unwrap().to_string(), "250m");
        assert_eq!(Cpu(3000).to_string(), "3");
        assert!(Cpu::parse("-1").is_err());
        assert!(Cpu::parse("2 cores").is_err());
        assert!(Cpu::parse("0.0001").is_err());
        assert!(Cpu::parse("99999999").is_err());
    }

    #[test]
    fn bytes_forms_and_hints() {
        assert_eq!(Bytes::parse("512Mi").unwrap(), Bytes(512 << 20));
        assert_eq!(Bytes::parse("4Gi").unwrap().to_string(), "4Gi");
        assert_eq!(Bytes::parse("1.5Gi").unwrap().to_string(), "1536Mi");
        assert_eq!(Bytes::parse("10G").unwrap(), Bytes(10_000_000_000));
        let e = Bytes::parse("4GB").unwrap_err();
        assert!(e.help.contains("`4Gi`"), "{e:?}");
        assert!(Bytes::parse("-1Gi").is_err());
        assert!(Bytes::parse("5Zi").is_err());
    }

    #[test]
    fn jvm_sizes_in_every_dialect() {
        let jvm = |s: &str, bare: u64| Bytes::parse_jvm(s, bare).map(|b| b.0);
        assert_eq!(jvm("4g", 1 << 20), Some(4 << 30));
        assert_eq!(jvm("512m", 1 << 20), Some(512 << 20));
        assert_eq!(jvm("4096", 1 << 20), Some(4 << 30));
        assert_eq!(jvm("4096", 1), Some(4096));
        assert_eq!(jvm("2 gb", 1), Some(2 << 30));
        assert_eq!(jvm("2048 Mebibytes", 1), Some(2 << 30));
        assert_eq!(jvm("1536Mi", 1), Some(1536 << 20));
        assert_eq!(jvm("1.5g", 1), Some(3 << 29));
        assert_eq!(jvm(" 100b ", 1), Some(100));
        // A decimal Kubernetes suffix means the JVM's binary unit here, as the JVM reads `1G`.
        assert_eq!(jvm("1G", 1), Some(1 << 30));
        assert_eq!(jvm("lots", 1), None);
        assert_eq!(jvm("-1g", 1), None);
        assert_eq!(jvm("g", 1), None);
        assert_eq!(jvm("4x", 1), None);
    }

    #[test]
    fn cores_from_numbers() {
        assert_eq!(Cpu::from_cores(0.5), Some(Cpu(500)));
        assert_eq!(Cpu::from_cores(2.0), Some(Cpu(2000)));
        assert_eq!(Cpu::from_cores(0.0004), Some(Cpu(0)));
        assert_eq!(Cpu::from_cores(-1.0), None);
        assert_eq!(Cpu::from_cores(f64::NAN), None);
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("90s").unwrap(), Duration(90_000));
        assert_eq!(Duration::parse("7d").unwrap(), Duration(604_800_000));
        assert_eq!(Duration::parse("1h30m").unwrap(), Duration(5_400_000));
        assert_eq!(Duration::parse("500ms").unwrap().to_string(), "500ms");
        assert_eq!(Duration(86_400_000).to_string(), "1d");
        assert!(Duration::parse("12").unwrap_err().help.contains("12s"));
        assert!(Duration::parse("3y").is_err());
        assert!(Duration::parse("99999999999999999999d").is_err());
    }
}
