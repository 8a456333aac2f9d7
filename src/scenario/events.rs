//! Scripted operations (`[[op]]`) and faults (`[[fault]]`): one entry each,
//! decoded with the node names and times checked against the cluster and
//! the run's phases, then sorted by time (stably, so file order breaks
//! ties).

use super::diag::Diag;
use super::dist::dist;
use super::model::*;
use super::read::{Child, Field, NodeSpace, TableView, backticked_list, nearest};
use super::tree::Value;
use crate::id::NodeId;
use crate::time::SimTime;

pub(super) const OP_KEYS: &[&str] = &[
    "at",
    "client",
    "get",
    "put",
    "delete",
    "update",
    "value",
    "context",
    "via",
    "returns",
    "add",
    "remove",
    "increment",
    "decrement",
];

/// The fields only an update takes.
const UPDATE_KEYS: &[&str] = &["add", "remove", "increment", "decrement"];

/// The most one update may add to or take from a counter.
const MAX_STEP: u32 = 1_000_000_000;

/// The `[[op]]` array, and the named clients in order of first appearance.
pub fn ops(
    field: Field<'_>,
    space: NodeSpace,
    regions: &[(String, u32)],
    duration: SimTime,
    value_type: ValueType,
) -> Result<(Vec<ScriptedOp>, Vec<String>), Diag> {
    let mut ops = Vec::new();
    let mut clients: Vec<String> = Vec::new();
    for item in field.array()? {
        let t = item.field().table(OP_KEYS)?;
        let at_field = t.required("at", "\"1s\"")?;
        let at = at_field.field().duration()?;
        if at >= duration {
            return Err(at_field.field().error(format!(
                "an op at {at} is after the workload phase, which ends at duration = {duration}"
            )));
        }
        let client_field = t.required("client", "\"alice\"")?;
        let client_name = client_field.field().str()?;
        if client_name.is_empty() {
            return Err(client_field.field().error("a client name cannot be empty"));
        }
        // Traces, the report and `explain` name clients and nodes side by
        // side: a client called `n1` would read as the node.
        if super::decode::looks_like_a_node(client_name) {
            return Err(client_field
                .field()
                .error(format!(
                    "a client cannot be called `{client_name}`: that is a node's name"
                ))
                .with_help("name clients as people, e.g. \"alice\""));
        }
        if regions.iter().any(|(region, _)| region == client_name) {
            return Err(client_field.field().error(format!(
                "a client cannot be called `{client_name}`: that is a region's name"
            )));
        }
        let client = match clients.iter().position(|c| c == client_name) {
            Some(i) => i,
            None => {
                clients.push(client_name.to_string());
                clients.len() - 1
            }
        };
        let verbs: Vec<(&str, Child<'_>)> = ["get", "put", "delete", "update"]
            .into_iter()
            .filter_map(|verb| t.get(verb).map(|c| (verb, c)))
            .collect();
        let (verb, kind_child) = match verbs.as_slice() {
            [(verb, child)] => (*verb, child),
            [] => {
                return Err(Diag::new(
                    &t.node.span,
                    &t.path,
                    "an op needs a key to read, write, delete or update",
                )
                .with_help("add `get = \"cart\"`, `put = \"cart\"`, `delete = \"cart\"` or `update = \"cart\"`"));
            }
            [_, (_, second), ..] => {
                return Err(Diag::new(
                    second.key_span(),
                    &second.path,
                    "an op is one of a get, a put, a delete or an update",
                ));
            }
        };
        let is_put = verb != "get";
        let key = kind_child.field().str()?;
        if key.is_empty() {
            return Err(kind_child.field().error("the key cannot be empty"));
        }
        if verb != "update" {
            if let Some(child) = UPDATE_KEYS.iter().find_map(|k| t.get(k)) {
                return Err(only_for(&child, "only an update adds, removes or counts"));
            }
        }
        let kind = if verb == "update" {
            update(&t, kind_child, value_type)?
        } else if is_put {
            if let Some(returns) = t.get("returns") {
                return Err(only_for(&returns, "`returns` is only for gets"));
            }
            let context = t.or("context", PutContext::LastRead, |f| {
                f.choice(&[
                    ("last-read", PutContext::LastRead),
                    ("none", PutContext::None),
                ])
            })?;
            if verb == "delete" {
                if let Some(value) = t.get("value") {
                    return Err(only_for(&value, "a delete writes a tombstone, not a value"));
                }
                ScriptedKind::Delete { context }
            } else {
                if value_type != ValueType::Opaque {
                    return Err(Diag::new(
                        kind_child.key_span(),
                        &kind_child.path,
                        format!(
                            "a put writes an opaque label, but [values] type = \"{}\"",
                            value_type.as_str()
                        ),
                    )
                    .with_help("write a typed value with `update = \"cart\"` and `add = [...]`"));
                }
                let value = t.required("value", "\"milk\"")?.field().str()?.to_string();
                ScriptedKind::Put { value, context }
            }
        } else {
            for key in ["value", "context"] {
                if let Some(child) = t.get(key) {
                    return Err(only_for(&child, &format!("`{key}` is only for puts")));
                }
            }
            ScriptedKind::Get
        };
        let returns = match t.get("returns") {
            Some(c) => Some(
                c.field()
                    .array()?
                    .iter()
                    .map(|v| v.field().str().map(str::to_string))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        ops.push(ScriptedOp {
            at,
            client: u32::try_from(client).map_err(|_| item.field().error("too many clients"))?,
            key: key.to_string(),
            kind,
            via: t.or("via", None, |f| f.node(space, true).map(Some))?,
            returns,
        });
    }
    ops.sort_by_key(|op| op.at);
    Ok((ops, clients))
}

/// An `update` op's change, checked against the run's value type.
fn update(
    t: &TableView<'_>,
    verb: &Child<'_>,
    value_type: ValueType,
) -> Result<ScriptedKind, Diag> {
    for key in ["value", "context", "returns"] {
        if let Some(child) = t.get(key) {
            let why = match key {
                "value" => {
                    "an update changes the value it reads; it takes `add` and `remove`, or `increment` and `decrement`"
                }
                "context" => "an update always writes back with the context of its own read",
                _ => "`returns` is only for gets",
            };
            return Err(only_for(&child, why));
        }
    }
    if value_type == ValueType::Opaque {
        return Err(Diag::new(
            verb.key_span(),
            &verb.path,
            "an update merges typed values, but the values are opaque",
        )
        .with_help("set [values] type = \"set\", \"or-set\" or \"counter\""));
    }
    let (elements, counts) = (["add", "remove"], ["increment", "decrement"]);
    let (wrong, right) = match value_type.has_elements() {
        true => (counts, elements),
        false => (elements, counts),
    };
    if let Some(child) = wrong.iter().find_map(|k| t.get(k)) {
        return Err(only_for(
            &child,
            &format!(
                "a {} value takes `{}` and `{}`",
                value_type.as_str(),
                right[0],
                right[1]
            ),
        ));
    }
    if right.iter().all(|k| t.get(k).is_none()) {
        return Err(Diag::new(
            verb.key_span(),
            &verb.path,
            format!(
                "an update changes something: give it `{}` or `{}`",
                right[0], right[1]
            ),
        ));
    }
    let names = |key: &str| -> Result<Vec<String>, Diag> {
        let Some(c) = t.get(key) else {
            return Ok(Vec::new());
        };
        c.field()
            .array()?
            .iter()
            .map(|v| {
                let name = v.field().str()?;
                match name.is_empty() {
                    true => Err(v.field().error("an element's name cannot be empty")),
                    false => Ok(name.to_string()),
                }
            })
            .collect()
    };
    let step = |key: &str| -> Result<i64, Diag> {
        t.or(key, 0, |f| {
            f.u32_in(1, MAX_STEP, &format!("`{key}`")).map(i64::from)
        })
    };
    Ok(ScriptedKind::Update {
        add: names("add")?,
        remove: names("remove")?,
        delta: step("increment")? - step("decrement")?,
    })
}

fn only_for(child: &Child<'_>, message: &str) -> Diag {
    Diag::new(child.key_span(), &child.path, message)
}

pub(super) const ACTIONS: &[&str] = &[
    "partition",
    "heal",
    "isolate",
    "cut",
    "bridge",
    "split",
    "crash",
    "restart",
    "pause",
    "resume",
    "loss",
    "latency",
    "skew",
    "join",
    "leave",
    "forget",
];

/// Keys that qualify an action, and the actions they belong to.
pub(super) const MODIFIERS: &[(&str, &[&str])] =
    &[("wipe_disk", &["restart"]), ("until", &["loss", "latency"])];

/// The `[[fault]]` array.
pub fn faults(field: Field<'_>, space: NodeSpace, scenario: &Scenario) -> Result<Vec<Fault>, Diag> {
    let mut faults = Vec::new();
    let regions = Regions(&scenario.cluster.regions);
    for item in field.array()? {
        faults.extend(fault(item.field(), space, regions, scenario)?);
    }
    faults.sort_by_key(|f| f.at);
    Ok(faults)
}

/// The cluster's regions, so a fault may name one wherever it names nodes.
#[derive(Clone, Copy)]
struct Regions<'s>(&'s [(String, u32)]);

impl Regions<'_> {
    /// The nodes of the region called `name`: regions are filled in order.
    fn nodes(&self, name: &str) -> Option<Vec<NodeId>> {
        let mut first = 0;
        for (region, size) in self.0 {
            if region == name {
                return Some((first..first + size).map(NodeId).collect());
            }
            first += size;
        }
        None
    }

    /// A node, or every node of a region.
    fn nodes_named(&self, field: Field<'_>, space: NodeSpace) -> Result<Vec<NodeId>, Diag> {
        if let Value::String(name) = &field.node.value {
            if let Some(nodes) = self.nodes(name) {
                return Ok(nodes);
            }
        }
        field.node(space, true).map(|id| vec![id]).map_err(|diag| {
            if self.0.is_empty() {
                return diag;
            }
            let names: Vec<&str> = self.0.iter().map(|(name, _)| name.as_str()).collect();
            diag.with_help(format!("or a region: {}", backticked_list(&names)))
        })
    }
}

/// One `[[fault]]` entry: one fault, or one per node when it names a
/// region where the action takes a single node (`crash = "eu-west"`).
fn fault(
    field: Field<'_>,
    space: NodeSpace,
    regions: Regions<'_>,
    scenario: &Scenario,
) -> Result<Vec<Fault>, Diag> {
    let t = field.table_any()?;
    let mut action: Option<Child<'_>> = None;
    for (key, child) in t.children() {
        if key == "at" || MODIFIERS.iter().any(|(m, _)| *m == key) {
            continue;
        }
        if !ACTIONS.contains(&key) {
            let diag = Diag::new(
                child.key_span(),
                &child.path,
                format!("unknown fault action `{key}`"),
            );
            return Err(match nearest(key, ACTIONS) {
                Some(near) => diag.with_help(format!("did you mean `{near}`?")),
                None => diag.with_help(format!("actions: {}", backticked_list(ACTIONS))),
            });
        }
        if let Some(first) = &action {
            return Err(Diag::new(
                child.key_span(),
                &child.path,
                format!(
                    "a fault has one action, and this one already has `{}`",
                    last_segment(&first.path)
                ),
            )
            .with_help("write a separate [[fault]] for each action"));
        }
        action = Some(child);
    }
    let Some(action) = action else {
        return Err(Diag::new(&t.node.span, &t.path, "this fault has no action")
            .with_help(format!("add one of {}", backticked_list(ACTIONS))));
    };
    let name = last_segment(&action.path);
    for (modifier, owners) in MODIFIERS {
        if let Some(child) = t.get(modifier) {
            if !owners.contains(&name) {
                return Err(Diag::new(
                    child.key_span(),
                    &child.path,
                    format!("`{modifier}` does not apply to `{name}`"),
                )
                .with_help(format!(
                    "`{modifier}` goes with {}",
                    backticked_list(owners)
                )));
            }
        }
    }

    let end = scenario.end();
    let at_field = t.required("at", "\"20s\"")?;
    let at = at_field.field().duration()?;
    if at >= end {
        return Err(at_field.field().error(format!(
            "a fault at {at} is outside the run, which ends at {end} (duration {} + quiesce {})",
            scenario.duration, scenario.quiesce
        )));
    }
    let until = |t: &TableView<'_>| -> Result<SimTime, Diag> {
        let f = t.required("until", "\"40s\"")?;
        let until = f.field().duration()?;
        if until <= at {
            return Err(f
                .field()
                .error(format!("until {until} must be after at {at}")));
        }
        if until > end {
            return Err(f
                .field()
                .error(format!("until {until} is after the run ends at {end}")));
        }
        Ok(until)
    };
    let a = action.field();
    let node = |f: Field<'_>| f.node(space, true);
    let each = |f: Field<'_>, make: &dyn Fn(NodeId) -> FaultAction| -> Result<Vec<Fault>, Diag> {
        let nodes = regions.nodes_named(f, space)?;
        Ok(nodes
            .into_iter()
            .map(|id| Fault {
                at,
                action: make(id),
            })
            .collect())
    };
    let action = match name {
        "partition" => FaultAction::Partition(groups(a, space, regions)?),
        "heal" => match &a.node.value {
            Value::String(s) if s == "all" => FaultAction::HealAll,
            Value::String(_) => {
                return Err(
                    a.error("write heal = \"all\" or a list of groups, heal = [[\"n1\", \"n4\"]]")
                );
            }
            _ => FaultAction::Heal(groups(a, space, regions)?),
        },
        // A region is isolated as one group, cut off from every other node.
        "isolate" => match regions.nodes_named(a, space)?.as_slice() {
            [one] => FaultAction::Isolate(*one),
            many => FaultAction::Partition(vec![many.to_vec()]),
        },
        "cut" => {
            let c = a.table(&["from", "to"])?;
            let from = node(c.required("from", "\"n1\"")?.field())?;
            let to_child = c.required("to", "\"n2\"")?;
            let to = node(to_child.field())?;
            if from == to {
                return Err(to_child
                    .field()
                    .error("a cut is between two different nodes"));
            }
            FaultAction::Cut { from, to }
        }
        "bridge" => bridge(a, space, regions)?,
        "split" => match a.str()? {
            "majority" => FaultAction::SplitMajority,
            _ => return Err(a.error("the only split is \"majority\"")),
        },
        "crash" => return each(a, &FaultAction::Crash),
        "restart" => {
            let wipe_disk = t.or("wipe_disk", false, |f| f.bool())?;
            return each(a, &|node| FaultAction::Restart { node, wipe_disk });
        }
        "pause" => return each(a, &FaultAction::Pause),
        "resume" => return each(a, &FaultAction::Resume),
        "loss" => FaultAction::Loss {
            probability: a.unit_interval()?,
            until: until(&t)?,
        },
        "latency" => FaultAction::Latency {
            dist: dist(a)?,
            until: until(&t)?,
        },
        "skew" => {
            let s = a.table(&["node", "offset"])?;
            FaultAction::Skew {
                node: node(s.required("node", "\"n2\"")?.field())?,
                offset_ns: s
                    .required("offset", "\"-500ms\"")?
                    .field()
                    .signed_duration_ns()?,
            }
        }
        "join" => {
            let id = node(a)?;
            if id.0 < space.nodes {
                return Err(a
                    .error(format!(
                        "`{id}` is already in the ring; only spares (n{}..) join",
                        space.nodes + 1
                    ))
                    .with_help("add spares with [cluster] spares = 1"));
            }
            FaultAction::Join(id)
        }
        "forget" => {
            let s = a.table(&["node", "key"])?;
            let key_field = s.required("key", "\"cart\"")?;
            let key = key_field.field().str()?;
            if key.is_empty() {
                return Err(key_field.field().error("the key cannot be empty"));
            }
            FaultAction::Forget {
                node: node(s.required("node", "\"n2\"")?.field())?,
                key: key.to_string(),
            }
        }
        _ => FaultAction::Leave(node(a)?),
    };
    Ok(vec![Fault { at, action }])
}

fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Node groups `[["n1","n2"],["n3"]]`, a member a node or a region: each
/// non-empty, no node twice.
fn groups(
    field: Field<'_>,
    space: NodeSpace,
    regions: Regions<'_>,
) -> Result<Vec<Vec<NodeId>>, Diag> {
    let mut seen: Vec<(NodeId, usize)> = Vec::new();
    let mut out = Vec::new();
    let items = field.array()?;
    if items.is_empty() {
        return Err(field
            .error("expected a list of node groups")
            .with_help("write e.g. [[\"n1\", \"n2\"], [\"n3\"]]"));
    }
    for (g, group) in items.iter().enumerate() {
        let members = group.field().array()?;
        if members.is_empty() {
            return Err(group.field().error("a group needs at least one node"));
        }
        let mut ids = Vec::new();
        for member in &members {
            for id in regions.nodes_named(member.field(), space)? {
                if let Some((_, other)) = seen.iter().find(|(n, _)| *n == id) {
                    return Err(member.field().error(if *other == g {
                        format!("`{id}` appears twice in this group")
                    } else {
                        format!("`{id}` is already in group {other}: groups must not overlap")
                    }));
                }
                seen.push((id, g));
                ids.push(id);
            }
        }
        out.push(ids);
    }
    Ok(out)
}

fn bridge(field: Field<'_>, space: NodeSpace, regions: Regions<'_>) -> Result<FaultAction, Diag> {
    let t = field.table(&["left", "right", "via"])?;
    // Each side's nodes, with the index of the item that named each (a
    // region names several), so an overlap points at the text behind it.
    let side = |key: &str| -> Result<(Vec<(NodeId, usize)>, Child<'_>), Diag> {
        let child = t.required(key, "[\"n1\", \"n2\"]")?;
        let items = child.field().array()?;
        if items.is_empty() {
            return Err(child
                .field()
                .error(format!("`{key}` needs at least one node")));
        }
        let mut ids = Vec::new();
        for (i, item) in items.iter().enumerate() {
            for id in regions.nodes_named(item.field(), space)? {
                ids.push((id, i));
            }
        }
        Ok((ids, child))
    };
    let left: Vec<NodeId> = side("left")?.0.into_iter().map(|(id, _)| id).collect();
    let (right_named, right_child) = side("right")?;
    if let Some((id, i)) = right_named.iter().find(|(id, _)| left.contains(id)) {
        let at = right_child.field().array()?;
        let spot = at.get(*i).map_or(right_child.field(), Child::field);
        return Err(spot.error(format!("`{id}` is on both sides of the bridge")));
    }
    let right: Vec<NodeId> = right_named.into_iter().map(|(id, _)| id).collect();
    let via_child = t.required("via", "\"n4\"")?;
    let via = via_child.field().node(space, true)?;
    if left.contains(&via) || right.contains(&via) {
        return Err(via_child
            .field()
            .error(format!("the bridge node `{via}` must be on neither side")));
    }
    Ok(FaultAction::Bridge { left, right, via })
}
