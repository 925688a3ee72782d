//! What applet files use from the core.
#![allow(unused_imports)] // a prelude: each applet uses part of it

pub(crate) use alloc::format;
pub(crate) use alloc::string::String;
pub(crate) use alloc::vec::Vec;

pub(crate) use crate::applet::Applet;
pub(crate) use crate::cli::{self, Args, Env, Opt, Request, Usage};
pub(crate) use crate::duration;
pub(crate) use crate::error::{CANNOT_START, Error, Result};
pub(crate) use crate::signals::{self, SignalMap};
pub(crate) use crate::spawn::Command;
pub(crate) use crate::supervise::{AfterCommand, Forward, Supervisor};
pub(crate) use crate::sys::{self, Pid, Status};
pub(crate) use crate::text::{self, lossy};
pub(crate) use crate::{debug, error, info, warn};
