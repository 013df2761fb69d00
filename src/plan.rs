//! Planning: the arguments become inputs, and inputs become jobs for an executor.

use std::path::PathBuf;

use crate::input::{self, Input, InputError, Note};

/// One unit of work for an executor: an input, counted whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Index into [`Plan::inputs`].
    pub input: usize,
}

/// Everything an executor needs, decided before any counting starts.
#[derive(Debug, Default)]
pub struct Plan {
    pub inputs: Vec<Input>,
    pub jobs: Vec<Job>,
    /// Arguments that could not be expanded (missing paths, unreadable directories, loops).
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
}

impl Plan {
    /// Expands `args` and makes one job per input.
    pub fn new(args: &[PathBuf]) -> Plan {
        let expanded = input::expand(args);
        let jobs = (0..expanded.inputs.len())
            .map(|input| Job { input })
            .collect();
        Plan {
            inputs: expanded.inputs,
            jobs,
            errors: expanded.errors,
            notes: expanded.notes,
        }
    }

    /// Total bytes on disk of the inputs whose size is known (for progress and reports).
    pub fn known_bytes(&self) -> u64 {
        self.inputs.iter().filter_map(|i| i.size).sum()
    }
}
