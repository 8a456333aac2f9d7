//! Distributions as written in a file: latency distributions
//! (`{ dist = "lognormal", p50 = "2ms", p99 = "25ms" }`, mixtures of them)
//! and the workload's key distribution (`"zipf(0.99)"`).

use super::diag::Diag;
use super::model::{Dist, KeyDist};
use super::read::{Field, backticked_list, join_path, nearest, quoted_list};

const DIST_NAMES: &[&str] = &[
    "constant",
    "uniform",
    "exponential",
    "normal",
    "lognormal",
    "pareto",
    "mixture",
];

/// Mixtures may nest, but not without end.
const MAX_MIXTURE_DEPTH: usize = 4;

/// A latency distribution: `{ dist = "lognormal", p50 = "2ms", p99 = "25ms" }`.
pub fn dist(field: Field<'_>) -> Result<Dist, Diag> {
    dist_at_depth(field, 0, &[])
}

/// `extra` names keys the enclosing structure also allows in the table
/// (`weight` in a mixture's part).
fn dist_at_depth(field: Field<'_>, depth: usize, extra: &[&str]) -> Result<Dist, Diag> {
    let t = field.table_any().map_err(|_| {
        field
            .type_error("a distribution table")
            .with_help("write e.g. { dist = \"lognormal\", p50 = \"2ms\", p99 = \"25ms\" }")
    })?;
    let name_field = t.required("dist", "\"lognormal\"")?;
    let name = name_field.field().str()?;
    let params: &[&str] = match name {
        "constant" => &["value"],
        "uniform" => &["min", "max"],
        "exponential" => &["mean"],
        "normal" => &["mean", "sd"],
        "lognormal" => &["p50", "p99"],
        "pareto" => &["scale", "shape"],
        "mixture" => &["parts"],
        other => {
            let mut diag = name_field.field().error(format!(
                "unknown distribution \"{other}\": expected one of {}",
                quoted_list(DIST_NAMES)
            ));
            if let Some(near) = nearest(other, DIST_NAMES) {
                diag = diag.with_help(format!("did you mean \"{near}\"?"));
            }
            return Err(diag);
        }
    };
    for entry in &t.table.entries {
        let key = entry.key.as_str();
        if key != "dist" && !params.contains(&key) && !extra.contains(&key) {
            return Err(Diag::new(
                &entry.key_span,
                &join_path(&t.path, key),
                format!("`{key}` is not a parameter of a {name} distribution"),
            )
            .with_help(format!("{name} takes {}", backticked_list(params))));
        }
    }
    let need = |key: &str| {
        t.get(key).ok_or_else(|| {
            Diag::new(
                &t.node.span,
                &join_path(&t.path, key),
                format!("a {name} distribution needs `{key}`"),
            )
            .with_help(format!("{name} takes {}", backticked_list(params)))
        })
    };
    let time = |key: &str| need(key)?.field().duration();
    Ok(match name {
        "constant" => Dist::Constant {
            value: time("value")?,
        },
        "uniform" => {
            let (min, max) = (time("min")?, time("max")?);
            if min > max {
                return Err(need("max")?
                    .field()
                    .error(format!("max {max} is below min {min}")));
            }
            Dist::Uniform { min, max }
        }
        "exponential" => Dist::Exponential {
            mean: time("mean")?,
        },
        "normal" => Dist::Normal {
            mean: time("mean")?,
            sd: time("sd")?,
        },
        "lognormal" => {
            let (p50, p99) = (time("p50")?, time("p99")?);
            if p99 < p50 {
                return Err(need("p99")?
                    .field()
                    .error(format!("p99 {p99} is below p50 {p50}")));
            }
            Dist::LogNormal { p50, p99 }
        }
        "pareto" => {
            let shape_field = need("shape")?;
            let shape = shape_field.field().f64()?;
            if shape <= 0.0 {
                return Err(shape_field
                    .field()
                    .error(format!("shape {shape} must be greater than 0")));
            }
            Dist::Pareto {
                scale: time("scale")?,
                shape,
            }
        }
        _ => mixture(need("parts")?.field(), depth)?,
    })
}

fn mixture(field: Field<'_>, depth: usize) -> Result<Dist, Diag> {
    if depth >= MAX_MIXTURE_DEPTH {
        return Err(field.error(format!("mixtures nest at most {MAX_MIXTURE_DEPTH} deep")));
    }
    let items = field.array()?;
    if items.is_empty() {
        return Err(field
            .error("a mixture needs at least one part")
            .with_help("parts = [{ weight = 1, dist = \"constant\", value = \"1ms\" }]"));
    }
    let mut parts = Vec::with_capacity(items.len());
    for item in &items {
        let part = item.field().table_any()?;
        let weight = part.required("weight", "1")?.field().weight()?;
        parts.push((weight, dist_at_depth(item.field(), depth + 1, &["weight"])?));
    }
    if parts.iter().all(|(w, _)| *w == 0.0) {
        return Err(field.error("every part of this mixture has weight 0"));
    }
    Ok(Dist::Mixture { parts })
}

/// `"uniform"`, `"zipf(0.99)"` or `"hotset(0.01,0.9)"`.
pub fn key_dist(field: Field<'_>) -> Result<KeyDist, Diag> {
    let text = field.str()?.trim();
    let syntax = || {
        field.error(format!(
            "\"{text}\" is not a key distribution: write \"uniform\", \"zipf(S)\" with S > 0, \
             or \"hotset(FRACTION,PROBABILITY)\" with both in (0, 1]"
        ))
    };
    if text == "uniform" {
        return Ok(KeyDist::Uniform);
    }
    let args = |prefix: &str| -> Option<Vec<f64>> {
        let inner = text
            .strip_prefix(prefix)?
            .strip_prefix('(')?
            .strip_suffix(')')?;
        inner
            .split(',')
            .map(|a| a.trim().parse::<f64>().ok())
            .collect()
    };
    if let Some(args) = args("zipf") {
        return match args.as_slice() {
            [s] if s.is_finite() && *s > 0.0 => Ok(KeyDist::Zipf(*s)),
            [s] => Err(field.error(format!("zipf exponent {s} must be greater than 0"))),
            _ => Err(syntax()),
        };
    }
    if let Some(args) = args("hotset") {
        let in_unit = |x: f64| x > 0.0 && x <= 1.0;
        return match args.as_slice() {
            [f, p] if in_unit(*f) && in_unit(*p) => Ok(KeyDist::HotSet {
                fraction: *f,
                probability: *p,
            }),
            [_, _] => Err(field.error("hotset's fraction and probability must both be in (0, 1]")),
            _ => Err(syntax()),
        };
    }
    Err(syntax())
}
