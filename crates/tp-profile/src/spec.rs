//! The catalog spec (which attributes, of what kind, in which layer) and the
//! compiled catalog the profiler reads from.

use crate::error::{ProfileError, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tp_core::{ColumnData, Table};

/// Profile layer of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layer {
    /// Objective product attributes (department, price tier, price).
    L1,
    /// Perceived attributes (healthy, indulgent, …), from any tagging source.
    L2,
}

impl Layer {
    /// `l1` or `l2`, the column-name prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Layer::L1 => "l1",
            Layer::L2 => "l2",
        }
    }
}

impl std::str::FromStr for Layer {
    type Err = ProfileError;

    /// `l1` or `l2` (any case); anything else is [`ProfileError::UnknownLayer`].
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "l1" => Ok(Layer::L1),
            "l2" => Ok(Layer::L2),
            _ => Err(ProfileError::UnknownLayer { name: s.into() }),
        }
    }
}

/// Kind of a catalog attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttrKind {
    /// Discrete values; the profile holds a share per value.
    Categorical,
    /// A number; the profile holds its weighted mean.
    Numeric,
}

/// One declared attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeSpec {
    /// Catalog column name.
    pub name: String,
    /// Categorical or numeric.
    pub kind: AttrKind,
    /// L1 or L2.
    pub layer: Layer,
}

/// A hierarchy of categorical columns, coarsest first
/// (e.g. `department → commodity → sub_commodity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HierarchySpec {
    /// Catalog column names, coarsest first.
    pub levels: Vec<String>,
    /// L1 or L2.
    pub layer: Layer,
}

/// Which catalog columns the profile uses and how.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CatalogSpec {
    /// Item-id column (integer). Default `item_id`.
    pub item_id: String,
    /// Hierarchies (their levels are categorical).
    pub hierarchies: Vec<HierarchySpec>,
    /// Plain attributes.
    pub attributes: Vec<AttributeSpec>,
}

impl CatalogSpec {
    /// An empty spec with item-id column `item_id`.
    pub fn new() -> Self {
        CatalogSpec { item_id: "item_id".into(), ..Default::default() }
    }

    /// Sets the item-id column.
    pub fn item_id(mut self, name: &str) -> Self {
        self.item_id = name.into();
        self
    }

    /// Declares a hierarchy, coarsest level first.
    pub fn hierarchy(mut self, levels: &[&str], layer: Layer) -> Self {
        self.hierarchies
            .push(HierarchySpec { levels: levels.iter().map(|s| s.to_string()).collect(), layer });
        self
    }

    /// Declares a categorical attribute.
    pub fn categorical(mut self, name: &str, layer: Layer) -> Self {
        self.attributes.push(AttributeSpec { name: name.into(), kind: AttrKind::Categorical, layer });
        self
    }

    /// Declares a numeric attribute.
    pub fn numeric(mut self, name: &str, layer: Layer) -> Self {
        self.attributes.push(AttributeSpec { name: name.into(), kind: AttrKind::Numeric, layer });
        self
    }

    /// Infers a spec from the catalog's columns:
    /// `department → commodity → sub_commodity` (those present, in that order)
    /// form an L1 hierarchy; other string columns are L1 categorical; numeric
    /// columns whose values are all 0 or 1 are L2 numeric (perceived tags);
    /// other numeric columns are L1 numeric. `item_id` is the key.
    pub fn infer(catalog: &Table) -> Result<Self> {
        let mut spec = CatalogSpec::new();
        catalog.column(&spec.item_id)?;
        let hier: Vec<&str> = ["department", "commodity", "sub_commodity"]
            .into_iter()
            .filter(|n| catalog.position(n).is_some())
            .collect();
        if !hier.is_empty() {
            spec = spec.hierarchy(&hier, Layer::L1);
        }
        for c in catalog.columns() {
            if c.name == spec.item_id || hier.contains(&c.name.as_str()) {
                continue;
            }
            match &c.data {
                ColumnData::Str(_) => spec = spec.categorical(&c.name, Layer::L1),
                ColumnData::Bool(_) => spec = spec.numeric(&c.name, Layer::L2),
                ColumnData::I64(v) if v.iter().all(|&x| x == 0 || x == 1) => {
                    spec = spec.numeric(&c.name, Layer::L2)
                }
                ColumnData::F64(v) if v.iter().all(|&x| x == 0.0 || x == 1.0) => {
                    spec = spec.numeric(&c.name, Layer::L2)
                }
                _ => spec = spec.numeric(&c.name, Layer::L1),
            }
        }
        Ok(spec)
    }
}

/// One categorical field of the compiled catalog: a plain categorical
/// attribute or one level of a hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Attribute (column) name.
    pub name: String,
    /// Layer.
    pub layer: Layer,
    /// Index of the parent field (the level above in a hierarchy).
    pub parent: Option<usize>,
    /// Value labels as shown in column names (leaf value, or the full path
    /// joined by `/` when the leaf value is ambiguous within the level).
    pub labels: Vec<String>,
    /// Global slot of each value's parent node (hierarchy levels only).
    pub parent_slot: Vec<Option<usize>>,
    /// First global slot of this field; value `v` is slot `offset + v`.
    pub offset: usize,
}

/// A catalog compiled against a [`CatalogSpec`]: items indexed densely, each
/// item's categorical slots and numeric values laid out flat.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// The spec it was compiled from.
    pub spec: CatalogSpec,
    /// Categorical fields (hierarchy levels first, then plain attributes).
    pub fields: Vec<Field>,
    /// Numeric attributes: (name, layer).
    pub numerics: Vec<(String, Layer)>,
    /// Item ids in catalog order.
    pub item_ids: Vec<i64>,
    /// Total number of categorical slots.
    pub n_slots: usize,
    /// `item_slots[i * fields.len() + f]`: item `i`'s slot in field `f`.
    pub item_slots: Vec<u32>,
    /// `item_nums[i * numerics.len() + j]`: item `i`'s numeric attribute `j`.
    pub item_nums: Vec<f64>,
    index: ItemIndex,
}

#[derive(Debug, Clone, PartialEq)]
enum ItemIndex {
    Dense { min: i64, pos: Vec<u32> },
    Map(HashMap<i64, u32>),
}

impl Catalog {
    /// Compiles `table` under `spec`; every declared attribute must be present
    /// and non-missing (empty string or non-finite number) for every item.
    pub fn new(table: &Table, spec: &CatalogSpec) -> Result<Self> {
        let ids = int_column(table, "catalog", &spec.item_id)?;
        let n = ids.len();
        let mut cat_cols: Vec<(String, Layer, Option<usize>)> = Vec::new();
        for h in &spec.hierarchies {
            if h.levels.is_empty() {
                return Err(ProfileError::Spec { reason: "a hierarchy has no levels".into() });
            }
            for (k, l) in h.levels.iter().enumerate() {
                let parent = if k == 0 { None } else { Some(cat_cols.len() - 1) };
                cat_cols.push((l.clone(), h.layer, parent));
            }
        }
        let mut numerics = Vec::new();
        for a in &spec.attributes {
            match a.kind {
                AttrKind::Categorical => cat_cols.push((a.name.clone(), a.layer, None)),
                AttrKind::Numeric => numerics.push((a.name.clone(), a.layer)),
            }
        }
        let mut fields: Vec<Field> = Vec::new();
        let nf = cat_cols.len();
        let mut item_slots = vec![0u32; n * nf];
        let mut offset = 0;
        for (f, (name, layer, parent)) in cat_cols.into_iter().enumerate() {
            let raw = table.string_values(&name)?;
            // node key = path including ancestors, so equal leaf names under different parents differ
            let mut keys: Vec<String> = Vec::with_capacity(n);
            for i in 0..n {
                if raw[i].is_empty() {
                    return Err(ProfileError::MissingAttribute { item_id: ids[i], attribute: name });
                }
                keys.push(match parent {
                    Some(_) => {
                        let ancestors: Vec<&str> = ancestry(&fields, f, parent, table, i)?;
                        let mut s = ancestors.join("/");
                        s.push('/');
                        s.push_str(&raw[i]);
                        s
                    }
                    None => raw[i].clone(),
                });
            }
            let mut uniq: Vec<String> = keys.clone();
            uniq.sort();
            uniq.dedup();
            let pos: HashMap<&str, usize> = uniq.iter().enumerate().map(|(k, s)| (s.as_str(), k)).collect();
            let mut leaf_of: HashMap<&str, &str> = HashMap::new();
            for i in 0..n {
                leaf_of.insert(keys[i].as_str(), raw[i].as_str());
            }
            let mut leaves: Vec<String> = uniq.iter().map(|s| leaf_of[s.as_str()].to_string()).collect();
            let ambiguous = {
                let mut l = leaves.clone();
                l.sort();
                l.windows(2).any(|w| w[0] == w[1])
            };
            if ambiguous {
                leaves = uniq.clone();
            }
            let mut parent_slot = vec![None; uniq.len()];
            for i in 0..n {
                let v = pos[keys[i].as_str()];
                item_slots[i * nf + f] = (offset + v) as u32;
                if let Some(p) = parent {
                    parent_slot[v] = Some(item_slots[i * nf + p] as usize);
                }
            }
            let len = uniq.len();
            fields.push(Field { name, layer, parent, labels: leaves, parent_slot, offset });
            offset += len;
        }
        let nn = numerics.len();
        let mut item_nums = vec![0.0; n * nn];
        for (j, (name, _)) in numerics.iter().enumerate() {
            let v = table.f64_values(name).map_err(|_| ProfileError::ColumnType {
                table: "catalog".into(),
                column: name.clone(),
                expected: "a numeric column (declared numeric in the spec)".into(),
                found: table.column(name).map(|c| c.data.type_name()).unwrap_or("missing").into(),
            })?;
            for i in 0..n {
                if !v[i].is_finite() {
                    return Err(ProfileError::MissingAttribute { item_id: ids[i], attribute: name.clone() });
                }
                item_nums[i * nn + j] = v[i];
            }
        }
        let index = build_index(&ids)?;
        Ok(Catalog {
            spec: spec.clone(),
            fields,
            numerics,
            item_ids: ids.into_owned(),
            n_slots: offset,
            item_slots,
            item_nums,
            index,
        })
    }

    /// Dense index of an item id, if in the catalog.
    #[inline]
    pub fn item_index(&self, id: i64) -> Option<usize> {
        match &self.index {
            ItemIndex::Dense { min, pos } => {
                let k = id.checked_sub(*min)?;
                if k < 0 {
                    return None;
                }
                pos.get(k as usize).copied().filter(|&p| p != u32::MAX).map(|p| p as usize)
            }
            ItemIndex::Map(m) => m.get(&id).map(|&p| p as usize),
        }
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }

    /// The field owning a global slot, and the value index within it.
    pub fn slot_field(&self, slot: usize) -> (usize, usize) {
        let f = self.fields.iter().rposition(|fl| fl.offset <= slot).unwrap_or(0);
        (f, slot - self.fields[f].offset)
    }

    /// A stable fingerprint of the layout (slot and numeric names), used to
    /// check that a saved state fits this catalog.
    pub fn layout(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::with_capacity(self.n_slots + self.numerics.len());
        for f in &self.fields {
            for l in &f.labels {
                v.push(format!("{}={}", f.name, l));
            }
        }
        for (n, _) in &self.numerics {
            v.push(n.clone());
        }
        v
    }
}

fn ancestry<'a>(
    fields: &[Field],
    _f: usize,
    parent: Option<usize>,
    table: &'a Table,
    row: usize,
) -> Result<Vec<&'a str>> {
    let mut chain = Vec::new();
    let mut p = parent;
    while let Some(k) = p {
        let col = table.column(&fields[k].name)?;
        match &col.data {
            ColumnData::Str(v) => chain.push(v[row].as_str()),
            other => {
                return Err(ProfileError::ColumnType {
                    table: "catalog".into(),
                    column: fields[k].name.clone(),
                    expected: "a string column (hierarchy level)".into(),
                    found: other.type_name().into(),
                });
            }
        }
        p = fields[k].parent;
    }
    chain.reverse();
    Ok(chain)
}

fn build_index(ids: &[i64]) -> Result<ItemIndex> {
    let (min, max) = ids.iter().fold((i64::MAX, i64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    if !ids.is_empty() && ((max - min) as u128) < 16 * ids.len() as u128 + 1024 {
        let mut pos = vec![u32::MAX; (max - min + 1) as usize];
        for (i, &id) in ids.iter().enumerate() {
            let slot = &mut pos[(id - min) as usize];
            if *slot != u32::MAX {
                return Err(ProfileError::DuplicateItem { item_id: id });
            }
            *slot = i as u32;
        }
        Ok(ItemIndex::Dense { min, pos })
    } else {
        let mut m = HashMap::with_capacity(ids.len());
        for (i, &id) in ids.iter().enumerate() {
            if m.insert(id, i as u32).is_some() {
                return Err(ProfileError::DuplicateItem { item_id: id });
            }
        }
        Ok(ItemIndex::Map(m))
    }
}

/// An integer id column (int, or float holding whole numbers).
pub(crate) fn int_column<'a>(
    table: &'a Table,
    which: &str,
    name: &str,
) -> Result<std::borrow::Cow<'a, [i64]>> {
    let c = table.column(name)?;
    match &c.data {
        ColumnData::I64(v) => Ok(std::borrow::Cow::Borrowed(v.as_slice())),
        ColumnData::F64(v) if v.iter().all(|x| x.fract() == 0.0 && x.is_finite()) => {
            Ok(std::borrow::Cow::Owned(v.iter().map(|&x| x as i64).collect()))
        }
        other => Err(ProfileError::ColumnType {
            table: which.into(),
            column: name.into(),
            expected: "integer ids".into(),
            found: other.type_name().into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tp_core::Column;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ambiguous_leaves_are_labelled_by_path_and_parents_link() {
        let t = Table::new(vec![
            Column::i64("item_id", vec![1, 2, 3]),
            Column::str("department", strs(&["A", "B", "B"])),
            Column::str("commodity", strs(&["X", "X", "Y"])),
        ])
        .unwrap();
        let c = Catalog::new(&t, &CatalogSpec::infer(&t).unwrap()).unwrap();
        assert_eq!(c.fields[1].labels, strs(&["A/X", "B/X", "B/Y"]));
        assert_eq!(c.fields[1].parent_slot, vec![Some(0), Some(1), Some(1)]);
        assert_eq!(c.n_slots, 5);
        assert_eq!(c.item_index(3), Some(2));
        assert_eq!(c.item_index(4), None);
        assert_eq!(c.slot_field(3), (1, 1));
    }

    #[test]
    fn infer_classifies_columns_and_sparse_ids_use_a_map() {
        let t = Table::new(vec![
            Column::i64("item_id", vec![5, 1_000_000_000]),
            Column::str("brand_type", strs(&["national", "private"])),
            Column::f64("base_price", vec![1.5, 2.0]),
            Column::i64("fresh", vec![0, 1]),
        ])
        .unwrap();
        let spec = CatalogSpec::infer(&t).unwrap();
        let want = CatalogSpec::new()
            .categorical("brand_type", Layer::L1)
            .numeric("base_price", Layer::L1)
            .numeric("fresh", Layer::L2);
        assert_eq!(spec, want);
        let c = Catalog::new(&t, &spec).unwrap();
        assert!(matches!(c.index, ItemIndex::Map(_)));
        assert_eq!(c.item_index(1_000_000_000), Some(1));
    }

    #[test]
    fn duplicate_items_are_an_error() {
        let t = Table::new(vec![
            Column::i64("item_id", vec![1, 1]),
            Column::str("department", strs(&["A", "B"])),
        ])
        .unwrap();
        let err = Catalog::new(&t, &CatalogSpec::infer(&t).unwrap()).unwrap_err();
        assert_eq!(err, ProfileError::DuplicateItem { item_id: 1 });
    }
}
