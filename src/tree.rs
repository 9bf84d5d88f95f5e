//! A compact JSON tree for objects that are built, labelled and printed once: what `strata compile` streams
//! every object through. serde_json's [`Value`] keeps each map in a B-tree and copies every key, so an
//! object of 60 fields costs a dozen half-empty 600-byte nodes and 60 key strings, which are then freed
//! again; here a map is one exact-size vector of entries, and the field names of typed objects are the
//! `&'static str`s serde hands over. Maps are sorted by key when they are finished, as serde_json's (its
//! map is a `BTreeMap` without `preserve_order`), so a tree prints to the same bytes as the `Value` the same
//! object serialises to (`render::tests` and the golden tests compare the two paths).

use std::borrow::Cow;

use serde::ser::{self, Serialize};
use serde_json::{Number, Value};

/// One JSON value. Maps hold their entries sorted by key, each key once.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Node>),
    Map(Map),
}

/// A map's entries, sorted by key (byte order, as `String`'s `Ord`), without repeats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<(Key, Node)>,
}

/// A map key: a typed object's field name as serde gives it, or a key of a map field (labels).
pub type Key = Cow<'static, str>;

impl Map {
    /// A map of `entries` in any order; of two entries with one key the later wins, as inserting them one
    /// by one into serde_json's map does.
    fn from_entries(mut entries: Vec<(Key, Node)>) -> Map {
        if entries.windows(2).any(|w| w[0].0 >= w[1].0) {
            // Stable, so repeated keys stay in insertion order and the last one is kept below.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut kept: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                match kept.last_mut() {
                    Some(last) if last.0 == k => last.1 = v,
                    _ => kept.push((k, v)),
                }
            }
            entries = kept;
        }
        Map { entries }
    }

    pub fn entries(&self) -> &[(Key, Node)] {
        &self.entries
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, in its place. Keys added after serialising are strata's own (labels,
    /// annotations), so they are `'static` and never copied.
    pub fn insert(&mut self, key: &'static str, value: Node) {
        match self.find(key) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (Cow::Borrowed(key), value)),
        }
    }

    /// The map under `key`, made (in place of whatever was there) if it is not a map.
    pub fn child_map(&mut self, key: &'static str) -> &mut Map {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (Cow::Borrowed(key), Node::Map(Map::default())));
                i
            }
        };
        self.entries[i].1.ensure_map()
    }
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(m) => m.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// The node as a map, made an empty one first if it is not a map.
    pub fn ensure_map(&mut self) -> &mut Map {
        if !matches!(self, Node::Map(_)) {
            *self = Node::Map(Map::default());
        }
        match self {
            Node::Map(m) => m,
            _ => unreachable!("just made a map"),
        }
    }
}

/// `value` as a tree, as `serde_json::to_value` would make it (and failing where it fails: a map key that
/// is not a string or a number).
pub fn to_node<T: Serialize + ?Sized>(value: &T) -> Result<Node, serde_json::Error> {
    value.serialize(NodeSerializer)
}

impl From<Value> for Node {
    fn from(v: Value) -> Node {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => Node::Number(n),
            Value::String(s) => Node::String(s),
            Value::Array(a) => Node::Seq(a.into_iter().map(Node::from).collect()),
            // serde_json's map is already sorted and unique.
            Value::Object(m) => {
                Node::Map(Map { entries: m.into_iter().map(|(k, v)| (Cow::Owned(k), v.into())).collect() })
            }
        }
    }
}

/// Serialises as the `Value` it stands for: serde_json prints a tree and that value to the same bytes.
impl Serialize for Node {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Number(n) => n.serialize(s),
            Node::String(v) => s.serialize_str(v),
            Node::Seq(items) => s.collect_seq(items),
            Node::Map(m) => s.collect_map(m.iter()),
        }
    }
}

/// Builds a [`Node`] from any `Serialize`, mirroring `serde_json::value::Serializer` case by case.
struct NodeSerializer;

fn error(msg: &str) -> serde_json::Error {
    ser::Error::custom(msg)
}

fn tagged(variant: &'static str, value: Node) -> Node {
    Node::Map(Map { entries: vec![(Cow::Borrowed(variant), value)] })
}

impl ser::Serializer for NodeSerializer {
    type Ok = Node;
    type Error = serde_json::Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Node, Self::Error> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, Self::Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Node, Self::Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Node, Self::Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Node, Self::Error> {
        Ok(Node::Number(v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<Node, Self::Error> {
        match (u64::try_from(v), i64::try_from(v)) {
            (Ok(u), _) => Ok(Node::Number(u.into())),
            (_, Ok(i)) => Ok(Node::Number(i.into())),
            _ => Err(error("number out of range")),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<Node, Self::Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Node, Self::Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Node, Self::Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Node, Self::Error> {
        Ok(Node::Number(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Node, Self::Error> {
        u64::try_from(v).map(|u| Node::Number(u.into())).map_err(|_| error("number out of range"))
    }
    fn serialize_f32(self, v: f32) -> Result<Node, Self::Error> {
        Ok(Number::from_f64(v.into()).map_or(Node::Null, Node::Number))
    }
    fn serialize_f64(self, v: f64) -> Result<Node, Self::Error> {
        Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
    }
    fn serialize_char(self, v: char) -> Result<Node, Self::Error> {
        Ok(Node::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Node, Self::Error> {
        Ok(Node::String(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Node, Self::Error> {
        Ok(Node::Seq(v.iter().map(|b| Node::Number((*b).into())).collect()))
    }
    fn serialize_none(self) -> Result<Node, Self::Error> {
        Ok(Node::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Node, Self::Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Node, Self::Error> {
        Ok(Node::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Node, Self::Error> {
        Ok(Node::Null)
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result<Node, Self::Error> {
        Ok(Node::String(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Node, Self::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Node, Self::Error> {
        Ok(tagged(variant, value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Self::Error> {
        Ok(SeqBuilder { items: Vec::with_capacity(len.unwrap_or(0)), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Self::Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder, Self::Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, Self::Error> {
        Ok(SeqBuilder { items: Vec::with_capacity(len), variant: Some(variant) })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Self::Error> {
        Ok(MapBuilder { entries: Vec::with_capacity(len.unwrap_or(0)), key: None, variant: None })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder, Self::Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder, Self::Error> {
        Ok(MapBuilder { entries: Vec::with_capacity(len), key: None, variant: Some(variant) })
    }
}

struct SeqBuilder {
    items: Vec<Node>,
    variant: Option<&'static str>,
}

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        self.items.push(value.serialize(NodeSerializer)?);
        Ok(())
    }

    fn finish(self) -> Node {
        let seq = Node::Seq(self.items);
        match self.variant {
            Some(variant) => tagged(variant, seq),
            None => seq,
        }
    }
}

/// serde's four sequence traits differ only in the name of the method that adds an item.
macro_rules! sequence_builder {
    ($($trait:ident :: $add:ident),*) => {$(
        impl ser::$trait for SeqBuilder {
            type Ok = Node;
            type Error = serde_json::Error;
            fn $add<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
                self.push(value)
            }
            fn end(self) -> Result<Node, Self::Error> {
                Ok(self.finish())
            }
        }
    )*};
}

sequence_builder!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

struct MapBuilder {
    entries: Vec<(Key, Node)>,
    /// A key given by `serialize_key`, waiting for its value.
    key: Option<Key>,
    variant: Option<&'static str>,
}

impl MapBuilder {
    fn finish(self) -> Node {
        let map = Node::Map(Map::from_entries(self.entries));
        match self.variant {
            Some(variant) => tagged(variant, map),
            None => map,
        }
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Node;
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.key = Some(Cow::Owned(key.serialize(KeySerializer)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let key = self.key.take().ok_or_else(|| error("a map value without its key"))?;
        self.entries.push((key, value.serialize(NodeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node, Self::Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Node;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Self::Error> {
        self.entries.push((Cow::Borrowed(key), value.serialize(NodeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node, Self::Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Node;
    type Error = serde_json::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Self::Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<Node, Self::Error> {
        Ok(self.finish())
    }
}

/// A map key as serde_json's map-key serialiser makes it: strings as they are, numbers, booleans and
/// chars as their text, a unit variant as its name; anything else is an error.
struct KeySerializer;

fn key_must_be_a_string() -> serde_json::Error {
    error("key must be a string")
}

/// Key serialiser methods that write the value's text.
macro_rules! as_text {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<String, Self::Error> {
            Ok(v.to_string())
        }
    )*};
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = serde_json::Error;
    type SerializeSeq = ser::Impossible<String, serde_json::Error>;
    type SerializeTuple = ser::Impossible<String, serde_json::Error>;
    type SerializeTupleStruct = ser::Impossible<String, serde_json::Error>;
    type SerializeTupleVariant = ser::Impossible<String, serde_json::Error>;
    type SerializeMap = ser::Impossible<String, serde_json::Error>;
    type SerializeStruct = ser::Impossible<String, serde_json::Error>;
    type SerializeStructVariant = ser::Impossible<String, serde_json::Error>;

    as_text!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
        serialize_char: char,
        serialize_str: &str
    );

    fn serialize_f32(self, _v: f32) -> Result<String, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _v: f64) -> Result<String, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<String, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<String, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> Result<String, Self::Error> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Self::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, Self::Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        zeta: u32,
        alpha: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        labels: BTreeMap<String, String>,
        by_number: BTreeMap<u16, bool>,
        items: Vec<Shape>,
        ratio: f64,
        not_a_number: f64,
        negative: i32,
        unit: (),
        pair: (u8, char),
        #[serde(flatten)]
        extra: BTreeMap<String, Value>,
    }

    #[derive(Serialize)]
    enum Shape {
        Empty,
        Sized(u32),
        Pair(u8, u8),
        Named { width: u8, height: u8 },
    }

    fn sample() -> Sample {
        Sample {
            zeta: 7,
            alpha: None,
            skipped: None,
            labels: [("b".to_string(), "2".to_string()), ("a".to_string(), "1".to_string())].into(),
            by_number: [(10, true), (9, false)].into(),
            items: vec![Shape::Empty, Shape::Sized(3), Shape::Pair(1, 2), Shape::Named { width: 4, height: 5 }],
            ratio: 0.25,
            not_a_number: f64::NAN,
            negative: -4,
            unit: (),
            pair: (1, 'x'),
            extra: [("zeta".to_string(), json!("flattened later wins")), ("mid".to_string(), json!([1, {"k": null}]))]
                .into(),
        }
    }

    /// A tree prints to the bytes of the `Value` serde_json makes of the same object, pretty or not, and
    /// reads back as that value: field order, skipped and null fields, enums, number kinds, non-finite
    /// floats, map keys that are numbers, and a flattened map repeating a field.
    #[test]
    fn a_tree_is_the_value_serde_json_makes() {
        let value = serde_json::to_value(sample()).expect("a value");
        let node = to_node(&sample()).expect("a tree");
        assert_eq!(serde_json::to_string_pretty(&node).ok(), serde_json::to_string_pretty(&value).ok());
        assert_eq!(serde_json::to_string(&node).ok(), serde_json::to_string(&value).ok());
        assert_eq!(node, Node::from(value.clone()));
        assert_eq!(serde_json::to_value(&node).ok(), Some(value));
    }

    #[test]
    fn keys_serde_json_refuses_are_refused() {
        let by_float: BTreeMap<String, BTreeMap<Vec<u8>, u8>> = [("a".to_string(), [(vec![1], 1)].into())].into();
        assert!(serde_json::to_value(&by_float).is_err());
        assert!(to_node(&by_float).is_err());
    }

    #[test]
    fn maps_insert_in_key_order() {
        let mut node = to_node(&json!({"b": 1, "d": {"x": 1}})).expect("a tree");
        let map = node.ensure_map();
        map.insert("c", Node::Bool(true));
        map.insert("b", Node::Null);
        map.child_map("a").insert("k", Node::String("v".into()));
        map.child_map("d").insert("y", Node::Null);
        let expected = json!({"a": {"k": "v"}, "b": null, "c": true, "d": {"x": 1, "y": null}});
        assert_eq!(serde_json::to_string(&node).ok(), serde_json::to_string(&expected).ok());
        assert_eq!(node.get("a").and_then(|a| a.get("k")).and_then(Node::as_str), Some("v"));
    }
}
