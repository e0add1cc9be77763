//! Administrative units: a tree of any depth (province → commune today; province →
//! district → commune in historic data), modelled as data, not as fixed levels.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{BoundedText, DomainError, Name, UnitCode};

/// One unit as it is exchanged in files: the project's `data/units-vn-2025.json` and
/// `motcua units import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitRecord {
    pub code: UnitCode,
    pub name: Name,
    /// "tỉnh", "thành phố trung ương", "huyện", "phường", "xã", "đặc khu", …
    pub kind: BoundedText<64>,
    #[serde(default)]
    pub parent: Option<UnitCode>,
}

/// A stored unit: the record with its depth in the tree (1 = province).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdminUnit {
    pub code: UnitCode,
    pub name: Name,
    #[schema(value_type = String)]
    pub kind: BoundedText<64>,
    pub parent: Option<UnitCode>,
    pub level: u8,
}

/// Gives each record its level, parents before children. A parent must be in the batch
/// or already stored (`stored_level` answers for those). Every problem is reported with
/// the index of its record; nothing is returned unless all records are good.
pub fn resolve_levels(
    records: Vec<UnitRecord>,
    stored_level: impl Fn(&UnitCode) -> Option<u8>,
) -> Result<Vec<AdminUnit>, Vec<(usize, DomainError)>> {
    let mut errors = Vec::new();
    let mut index: HashMap<UnitCode, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        if index.insert(r.code.clone(), i).is_some() {
            errors.push((i, DomainError::Invalid(format!("mã đơn vị {} bị trùng trong tệp", r.code))));
        }
    }
    let mut levels: Vec<Option<u8>> = vec![None; records.len()];
    for start in 0..records.len() {
        // Walk up to a known level, then fill the path back down.
        let mut path = vec![start];
        let mut base: Option<u8> = None;
        loop {
            let cur = *path.last().unwrap_or(&start);
            if let Some(l) = levels[cur] {
                path.pop();
                base = Some(l);
                break;
            }
            match &records[cur].parent {
                None => {
                    base = Some(0);
                    break;
                }
                Some(p) => match index.get(p) {
                    Some(&pi) if path.contains(&pi) => {
                        errors.push((start, DomainError::Invalid(format!("vòng lặp cha–con tại đơn vị {p}"))));
                        break;
                    }
                    Some(&pi) => path.push(pi),
                    None => match stored_level(p) {
                        Some(l) => {
                            base = Some(l);
                            break;
                        }
                        None => {
                            errors.push((cur, DomainError::Invalid(format!("đơn vị cha {p} không tồn tại"))));
                            break;
                        }
                    },
                },
            }
        }
        if let Some(mut l) = base {
            for &i in path.iter().rev() {
                l = l.saturating_add(1);
                levels[i] = Some(l);
            }
        }
    }
    errors.sort_by_key(|(i, _)| *i);
    errors.dedup_by(|a, b| a.0 == b.0);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut units: Vec<AdminUnit> = records
        .into_iter()
        .zip(levels)
        .map(|(r, l)| AdminUnit { code: r.code, name: r.name, kind: r.kind, parent: r.parent, level: l.unwrap_or(1) })
        .collect();
    units.sort_by_key(|u| u.level);
    Ok(units)
}

/// The nested format of the published 2025 list (`vn-divisions-2025.json`): provinces with
/// their `wards`, numeric codes.
#[derive(Deserialize)]
struct GsoProvince {
    name: String,
    code: u32,
    division_type: String,
    wards: Vec<GsoWard>,
}
#[derive(Deserialize)]
struct GsoWard {
    name: String,
    code: u32,
    division_type: String,
}

/// Converts the published nested list into flat records (province codes 2 digits,
/// commune codes 5 digits).
pub fn records_from_published(json: &str) -> Result<Vec<UnitRecord>, DomainError> {
    let provinces: Vec<GsoProvince> = serde_json::from_str(json)
        .map_err(|e| DomainError::Invalid(format!("tệp danh mục đơn vị hành chính sai định dạng: {e}")))?;
    let mut out = Vec::new();
    for p in provinces {
        let pcode = UnitCode::from_number(p.code, 2)?;
        out.push(UnitRecord {
            code: pcode.clone(),
            name: Name::parse("tên đơn vị", &p.name)?,
            kind: BoundedText::parse("loại đơn vị", &p.division_type)?,
            parent: None,
        });
        for w in p.wards {
            out.push(UnitRecord {
                code: UnitCode::from_number(w.code, 5)?,
                name: Name::parse("tên đơn vị", &w.name)?,
                kind: BoundedText::parse("loại đơn vị", &w.division_type)?,
                parent: Some(pcode.clone()),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(code: &str, parent: Option<&str>) -> UnitRecord {
        UnitRecord {
            code: UnitCode::parse(code).unwrap(),
            name: Name::parse("n", code).unwrap(),
            kind: BoundedText::parse("k", "x").unwrap(),
            parent: parent.map(|p| UnitCode::parse(p).unwrap()),
        }
    }

    #[test]
    fn levels_of_any_depth_children_first_in_file() {
        let units =
            resolve_levels(vec![rec("00001", Some("001")), rec("001", Some("01")), rec("01", None)], |_| None).unwrap();
        let got: Vec<(&str, u8)> = units.iter().map(|u| (u.code.as_str(), u.level)).collect();
        assert_eq!(got, vec![("01", 1), ("001", 2), ("00001", 3)]);
    }

    #[test]
    fn parent_may_be_stored_already() {
        let units = resolve_levels(vec![rec("00070", Some("01"))], |c| (c.as_str() == "01").then_some(1)).unwrap();
        assert_eq!(units[0].level, 2);
    }

    #[test]
    fn reports_missing_parents_duplicates_and_cycles() {
        let errs = resolve_levels(
            vec![
                rec("01", None),
                rec("01", None),
                rec("00002", Some("99")),
                rec("11", Some("12")),
                rec("12", Some("11")),
            ],
            |_| None,
        )
        .unwrap_err();
        let idx: Vec<usize> = errs.iter().map(|e| e.0).collect();
        assert_eq!(idx, vec![1, 2, 3, 4]);
    }

    #[test]
    fn converts_published_format() {
        let json = r#"[{"name":"Tỉnh Quảng Ninh","code":22,"codename":"x","division_type":"tỉnh","phone_code":203,
            "wards":[{"name":"Phường Hạ Long","code":6850,"codename":"y","division_type":"phường","short_codename":"z"}]}]"#;
        let r = records_from_published(json).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].code.as_str(), "06850");
        assert_eq!(r[1].parent.as_ref().unwrap().as_str(), "22");
    }
}
