//! INTERFACE SKELETON (to be filled in): versions of a key.
#![allow(unused_variables, dead_code)]

use crate::id::{NodeId, ValueId};
use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    VectorClock { truncate: u32 },
    Dvv,
    Lww,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {}

impl Context {
    pub fn none() -> Context {
        Context::default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Equal,
    Before,
    After,
    Concurrent,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effect {
    pub changed: bool,
    pub false_conflicts: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Siblings {}

impl Siblings {
    pub fn is_empty(&self) -> bool {
        todo!()
    }
    pub fn len(&self) -> usize {
        todo!()
    }
    pub fn values(&self) -> Vec<ValueId> {
        todo!()
    }
    pub fn context(&self) -> Context {
        todo!()
    }
    pub fn put(
        &mut self,
        mode: Mode,
        node: NodeId,
        now: SimTime,
        context: &Context,
        value: ValueId,
    ) -> Effect {
        todo!()
    }
    pub fn merge(&mut self, mode: Mode, other: &Siblings) -> Effect {
        todo!()
    }
    pub fn compare(&self, other: &Siblings) -> Order {
        todo!()
    }
}
