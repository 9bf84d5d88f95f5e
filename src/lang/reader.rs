//! A small typed reader over one KDL node, used by every lowering function. It turns "wrong type",
//! "missing argument", "unknown property" and "misspelled child" into spanned diagnostics in one place, so
//! each domain's lowering code only states what it accepts.

use std::cell::RefCell;

pub use crate::model::Scalar;
use kdl::{KdlEntry, KdlNode, KdlValue};

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::source::{FileId, Span, Spanned};
use crate::units::{Bytes, Cpu, Duration, UnitError};

/// Why a KDL value does not fit the expected type.
pub struct ValueError {
    pub message: String,
    pub help: String,
}

impl From<UnitError> for ValueError {
    fn from(e: UnitError) -> Self {
        ValueError { message: e.message, help: e.help }
    }
}

/// A type that can be read from a KDL value.
pub trait FromKdl: Sized {
    /// How the expected value is described in messages: "a string", "a CPU quantity".
    const EXPECTED: &'static str;
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError>;
}

fn describe(v: &KdlValue) -> String {
    match v {
        KdlValue::String(s) => format!("the string \"{s}\""),
        KdlValue::Integer(i) => format!("the number {i}"),
        KdlValue::Float(f) => format!("the number {f}"),
        KdlValue::Bool(b) => format!("#{b}"),
        KdlValue::Null => "#null".to_string(),
    }
}

fn mismatch<T: FromKdl>(v: &KdlValue, help: &str) -> ValueError {
    ValueError { message: format!("expected {}, found {}", T::EXPECTED, describe(v)), help: help.to_string() }
}

impl FromKdl for String {
    const EXPECTED: &'static str = "a string";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        match v {
            KdlValue::String(s) => Ok(s.clone()),
            _ => Err(mismatch::<Self>(v, "put the value in double quotes")),
        }
    }
}

impl FromKdl for bool {
    const EXPECTED: &'static str = "#true or #false";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        match v {
            KdlValue::Bool(b) => Ok(*b),
            KdlValue::String(s) if s == "true" || s == "false" => {
                Err(mismatch::<Self>(v, &format!("KDL 2.0 writes booleans as #{s}, without quotes")))
            }
            _ => Err(mismatch::<Self>(v, "write #true or #false")),
        }
    }
}

fn integer(v: &KdlValue) -> Option<i128> {
    match v {
        KdlValue::Integer(i) => Some(*i),
        _ => None,
    }
}

macro_rules! unsigned {
    ($t:ty, $desc:literal) => {
        impl FromKdl for $t {
            const EXPECTED: &'static str = $desc;
            fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
                let Some(i) = integer(v) else {
                    let help = match v {
                        KdlValue::String(s) if s.parse::<i128>().is_ok() => format!("remove the quotes: {s}"),
                        KdlValue::Float(_) => "use a whole number".to_string(),
                        _ => "write a whole number without quotes".to_string(),
                    };
                    return Err(mismatch::<Self>(v, &help));
                };
                if i < 0 {
                    return Err(ValueError {
                        message: format!("expected {}, found the negative number {i}", Self::EXPECTED),
                        help: "use zero or a positive number".to_string(),
                    });
                }
                <$t>::try_from(i).map_err(|_| ValueError {
                    message: format!("{i} is too large (the maximum is {})", <$t>::MAX),
                    help: "check the number".to_string(),
                })
            }
        }
    };
}
unsigned!(u16, "a whole number");
unsigned!(u32, "a whole number");
unsigned!(u64, "a whole number");

impl FromKdl for i64 {
    const EXPECTED: &'static str = "a whole number";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        let i = integer(v).ok_or_else(|| mismatch::<Self>(v, "write a whole number without quotes"))?;
        i64::try_from(i)
            .map_err(|_| ValueError { message: format!("{i} is out of range"), help: "check the number".into() })
    }
}

impl FromKdl for Cpu {
    const EXPECTED: &'static str = "a CPU quantity (`2`, `0.5` or `500m`)";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        match v {
            KdlValue::String(s) => Ok(Cpu::parse(s)?),
            KdlValue::Integer(i) if *i >= 0 => Ok(Cpu::parse(&i.to_string())?),
            KdlValue::Integer(i) => Err(ValueError {
                message: format!("CPU cannot be negative: {i}"),
                help: "write CPU as cores (`2`, `0.5`) or millicores (`500m`)".into(),
            }),
            KdlValue::Float(f) => Ok(Cpu::from_f64(*f)?),
            _ => Err(mismatch::<Self>(v, "write CPU as cores (`2`, `0.5`) or millicores (`\"500m\"`)")),
        }
    }
}

impl FromKdl for Bytes {
    const EXPECTED: &'static str = "a size (`512Mi`, `4Gi`)";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        match v {
            KdlValue::String(s) => Ok(Bytes::parse(s)?),
            KdlValue::Integer(i) if *i > 0 => Err(ValueError {
                message: format!("{i} has no unit"),
                help: format!("sizes need a unit: write \"{i}Gi\" or \"{i}Mi\" (or \"{i}\" in quotes for bytes)"),
            }),
            KdlValue::Integer(0) => Ok(Bytes(0)),
            KdlValue::Integer(i) => Err(ValueError {
                message: format!("a size cannot be negative: {i}"),
                help: "use a positive size such as \"4Gi\"".into(),
            }),
            _ => Err(mismatch::<Self>(v, "write sizes in quotes with a unit: \"4Gi\"")),
        }
    }
}

impl FromKdl for Duration {
    const EXPECTED: &'static str = "a duration (`90s`, `12h`, `7d`)";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        match v {
            KdlValue::String(s) => Ok(Duration::parse(s)?),
            KdlValue::Integer(i) => Err(ValueError {
                message: format!("{i} has no unit"),
                help: format!("durations need a unit: write \"{i}s\", \"{i}m\" or \"{i}h\""),
            }),
            _ => Err(mismatch::<Self>(v, "write durations in quotes with a unit: \"90s\", \"7d\"")),
        }
    }
}

impl FromKdl for Scalar {
    const EXPECTED: &'static str = "a string, number or boolean";
    fn from_kdl(v: &KdlValue) -> Result<Self, ValueError> {
        Ok(match v {
            KdlValue::String(s) => Scalar::Str(s.clone()),
            KdlValue::Integer(i) => Scalar::Int(*i),
            KdlValue::Float(f) => Scalar::Float(*f),
            KdlValue::Bool(b) => Scalar::Bool(*b),
            KdlValue::Null => return Err(mismatch::<Self>(v, "give a value, or remove the entry")),
        })
    }
}

/// Reads one node's arguments, properties and children, remembering what was asked for so that anything
/// left over is reported as unknown, with a suggestion drawn from what the caller did ask for.
pub struct NodeReader<'n> {
    pub node: &'n KdlNode,
    pub file: FileId,
    next_arg: usize,
    known_props: Vec<&'static str>,
}

impl<'n> NodeReader<'n> {
    pub fn new(node: &'n KdlNode, file: FileId) -> Self {
        NodeReader { node, file, next_arg: 0, known_props: Vec::new() }
    }

    pub fn name(&self) -> &'n str {
        self.node.name().value()
    }

    /// The node's name, for labels that mean "this node".
    pub fn name_span(&self) -> Span {
        Span::from_kdl(self.file, self.node.name().span())
    }

    fn args(&self) -> impl Iterator<Item = &'n KdlEntry> + use<'n> {
        self.node.entries().iter().filter(|e| e.name().is_none())
    }

    fn entry_span(&self, e: &KdlEntry) -> Span {
        Span::from_kdl(self.file, e.span())
    }

    /// `what` names the value for the error only; it is built only when there is one (every property of
    /// every node is read here, so an eager `format!` was a measurable share of a large platform's check).
    fn read<T: FromKdl>(&self, e: &KdlEntry, what: impl FnOnce() -> String, d: &mut Diagnostics) -> Option<Spanned<T>> {
        let span = self.entry_span(e);
        match T::from_kdl(e.value()) {
            Ok(v) => Some(Spanned::new(v, span)),
            Err(err) => {
                d.push(
                    Diagnostic::error("strata::spec::type", format!("{}: {}", what(), err.message))
                        .at(span, format!("expected {}", T::EXPECTED))
                        .help(err.help),
                );
                None
            }
        }
    }

    /// The next positional argument; reports a missing one with `what` ("the tenant's name").
    pub fn arg<T: FromKdl>(&mut self, what: &str, d: &mut Diagnostics) -> Option<Spanned<T>> {
        let entry = self.args().nth(self.next_arg);
        self.next_arg += 1;
        match entry {
            Some(e) => self.read(e, || format!("`{}` {what}", self.name()), d),
            None => {
                d.push(
                    Diagnostic::error("strata::spec::missing-argument", format!("`{}` needs {what}", self.name()))
                        .at(self.name_span(), format!("{what} is missing"))
                        .help(format!("write it after the node name: `{} \"...\"`", self.name())),
                );
                None
            }
        }
    }

    /// The next positional argument if there is one.
    pub fn opt_arg<T: FromKdl>(&mut self, what: &str, d: &mut Diagnostics) -> Option<Spanned<T>> {
        let entry = self.args().nth(self.next_arg)?;
        self.next_arg += 1;
        self.read(entry, || format!("`{}` {what}", self.name()), d)
    }

    /// Every remaining positional argument.
    pub fn rest_args<T: FromKdl>(&mut self, what: &str, d: &mut Diagnostics) -> Vec<Spanned<T>> {
        let entries: Vec<&KdlEntry> = self.args().skip(self.next_arg).collect();
        self.next_arg += entries.len();
        entries.into_iter().filter_map(|e| self.read(e, || format!("`{}` {what}", self.name()), d)).collect()
    }

    /// An optional property `key=value`. Declares `key` as known.
    pub fn prop<T: FromKdl>(&mut self, key: &'static str, d: &mut Diagnostics) -> Option<Spanned<T>> {
        self.known_props.push(key);
        let mut found = self.node.entries().iter().filter(|e| e.name().is_some_and(|n| n.value() == key));
        let first = found.next()?;
        if let Some(again) = found.next_back() {
            d.push(
                Diagnostic::error("strata::spec::duplicate-property", format!("`{key}` is given twice"))
                    .at(self.entry_span(again), "given again here")
                    .also(self.entry_span(first), "first given here")
                    .help("keep one of them"),
            );
        }
        self.read(first, || format!("`{}` property `{key}`", self.name()), d)
    }

    /// A property that must be present.
    pub fn req_prop<T: FromKdl>(
        &mut self,
        key: &'static str,
        example: &str,
        d: &mut Diagnostics,
    ) -> Option<Spanned<T>> {
        let had = self.node.entries().iter().any(|e| e.name().is_some_and(|n| n.value() == key));
        if !had {
            self.known_props.push(key);
            d.push(
                Diagnostic::error("strata::spec::missing-property", format!("`{}` needs `{key}`", self.name()))
                    .at(self.name_span(), format!("`{key}` is missing"))
                    .help(format!("add it, e.g. `{} ... {key}={example}`", self.name())),
            );
            return None;
        }
        self.prop(key, d)
    }

    pub fn children(&self) -> &'n [KdlNode] {
        self.node.children().map(|c| c.nodes()).unwrap_or(&[])
    }

    /// Reports leftovers: extra arguments and unknown properties. `allows_children` false also reports a
    /// children block the node does not take.
    pub fn finish(self, allows_children: bool, d: &mut Diagnostics) {
        record(|| Accepted::Properties { node: self.name().to_string(), properties: self.known_props.clone() });
        for e in self.args().skip(self.next_arg) {
            d.push(
                Diagnostic::error(
                    "strata::spec::extra-argument",
                    format!("`{}` takes no further arguments", self.name()),
                )
                .at(self.entry_span(e), "unexpected argument")
                .help(if self.known_props.is_empty() {
                    "remove it".to_string()
                } else {
                    format!("did you mean a property? `{}` accepts {}", self.name(), list(&self.known_props))
                }),
            );
        }
        for e in self.node.entries() {
            let Some(key) = e.name() else { continue };
            let key = key.value();
            if self.known_props.contains(&key) {
                continue;
            }
            let help = match did_you_mean(key, self.known_props.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if self.known_props.is_empty() => format!("`{}` takes no properties", self.name()),
                None => format!("`{}` accepts {}", self.name(), list(&self.known_props)),
            };
            d.push(
                Diagnostic::error(
                    "strata::spec::unknown-property",
                    format!("unknown property `{key}` on `{}`", self.name()),
                )
                .at(self.entry_span(e), "not a property of this node")
                .help(help),
            );
        }
        if !allows_children && let Some(children) = self.node.children() {
            d.push(
                Diagnostic::error(
                    "strata::spec::unexpected-children",
                    format!("`{}` takes no children block", self.name()),
                )
                .at(Span::from_kdl(self.file, children.span()), "unexpected block")
                .help("move these settings into properties of the node, or remove the block"),
            );
        }
        if let Some(ty) = self.node.ty() {
            d.push(
                Diagnostic::error(
                    "strata::spec::type-annotation",
                    format!("`{}` takes no type annotation", self.name()),
                )
                .at(Span::from_kdl(self.file, ty.span()), "not used by strata")
                .help("remove the `(...)` before the node name"),
            );
        }
    }
}

/// Reports a child node the parent does not accept, suggesting the closest known one.
pub fn unknown_node(node: &KdlNode, file: FileId, parent: &str, known: &[&str], d: &mut Diagnostics) {
    let name = node.name().value();
    record(|| Accepted::Children { unknown: name.to_string(), known: known.iter().map(|k| k.to_string()).collect() });
    let help = match did_you_mean(name, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("{parent} accepts {}", list(known)),
    };
    d.push(
        Diagnostic::error("strata::spec::unknown-node", format!("unknown node `{name}` in {parent}"))
            .at(Span::from_kdl(file, node.name().span()), "not recognised here")
            .help(help),
    );
}

/// What one reader accepted, as it judged a node: the language server's completions come from these, so
/// they can never offer a name the readers would reject or miss one they take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Every property `node`'s reader asked for before it judged the node's leftovers.
    Properties { node: String, properties: Vec<&'static str> },
    /// The child nodes a parent accepts, recorded when it met the child `unknown` it does not.
    Children { unknown: String, known: Vec<String> },
}

thread_local! {
    static RECORDING: RefCell<Option<Vec<Accepted>>> = const { RefCell::new(None) };
}

/// Runs `f` (a lowering) and returns, beside its result, what every reader on this thread accepted while it
/// ran. Outside such a call nothing is recorded, so ordinary compiles pay one thread-local check per node.
pub fn record_accepted<R>(f: impl FnOnce() -> R) -> (R, Vec<Accepted>) {
    /// Puts the outer recording back when dropped, also when `f` panics (the language server catches panics
    /// and goes on, and a recording left on would grow with every later check on the thread).
    struct Restore(Option<Vec<Accepted>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            RECORDING.with(|r| r.replace(outer));
        }
    }
    let _restore = Restore(RECORDING.with(|r| r.replace(Some(Vec::new()))));
    let result = f();
    let recorded = RECORDING.with(|r| r.take()).unwrap_or_default();
    (result, recorded)
}

/// `f` with recording off: what the stdlib's own files accept is not what the spec being probed accepts
/// (and the stdlib is lowered before or after the spec's files, depending on how they were loaded).
pub(crate) fn unrecorded<R>(f: impl FnOnce() -> R) -> R {
    let outer = RECORDING.with(|r| r.take());
    let result = f();
    RECORDING.with(|r| r.replace(outer));
    result
}

fn record(what: impl FnOnce() -> Accepted) {
    RECORDING.with(|r| {
        if let Some(log) = r.borrow_mut().as_mut() {
            log.push(what());
        }
    });
}

fn list(items: &[&str]) -> String {
    let mut v: Vec<&str> = items.to_vec();
    v.dedup();
    v.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

/// Reads an enum-like string argument or property against its allowed values.
pub fn one_of<'a>(v: &Spanned<String>, allowed: &[&'a str], what: &str, d: &mut Diagnostics) -> Option<&'a str> {
    if let Some(a) = allowed.iter().find(|a| **a == v.value) {
        return Some(a);
    }
    let help = match did_you_mean(&v.value, allowed.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("use one of {}", list(allowed)),
    };
    d.push(
        Diagnostic::error("strata::spec::invalid-value", format!("`{}` is not a valid {what}", v.value))
            .at(v.span, format!("expected one of {}", list(allowed)))
            .help(help),
    );
    None
}
