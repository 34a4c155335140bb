//! A seeded fault profile (`--faults internal=0.05,reset=0.02,... --fault-seed 7`):
//! each call draws at most one fault, with the given probabilities, from
//! one seeded generator, so a failing run can be replayed.
//!
//! - `throttle`: ThrottlingException beyond the rate rule;
//! - `internal`: 500 InternalFailureException, nothing done;
//! - `limit`: LimitExceededException on a Start, as when other workloads
//!   hold QuickSight's slots under our semaphore;
//! - `reset`: the connection is dropped before anything is done;
//! - `lost-reply`: the call takes effect (a job starts), then the
//!   connection is dropped before the reply.

use std::str::FromStr;
use std::sync::Mutex;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    Internal,
    Limit,
    Reset,
    LostReply,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "throttle" => Fault::Throttle,
            "internal" => Fault::Internal,
            "limit" => Fault::Limit,
            "reset" => Fault::Reset,
            "lost-reply" => Fault::LostReply,
            other => {
                return Err(format!(
                    "unknown fault {other:?}: throttle, internal, limit, reset, lost-reply"
                ));
            }
        })
    }
}

/// `KIND=PROBABILITY,...`, as `--faults` takes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultRates(pub Vec<(Fault, f64)>);

impl FromStr for FaultRates {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut rates = Vec::new();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (kind, p) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not KIND=PROBABILITY"))?;
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("{p:?} is not a probability"))?;
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{kind}: {p} is not within 0-1"));
            }
            rates.push((kind.trim().parse()?, p));
        }
        if rates.iter().map(|(_, p)| p).sum::<f64>() > 1.0 {
            return Err("the probabilities add up to more than 1".into());
        }
        Ok(FaultRates(rates))
    }
}

/// The seeded draw.
pub struct FaultDraw {
    rates: FaultRates,
    rng: Mutex<SmallRng>,
}

impl FaultDraw {
    pub fn new(rates: FaultRates, seed: u64) -> Self {
        FaultDraw {
            rates,
            rng: Mutex::new(SmallRng::seed_from_u64(seed)),
        }
    }

    /// The fault this call meets, if any. `start` is true for the Start
    /// operations, the only ones `limit` applies to.
    pub fn draw(&self, start: bool) -> Option<Fault> {
        if self.rates.0.is_empty() {
            return None;
        }
        let x: f64 = self.rng.lock().unwrap().random();
        let mut edge = 0.0;
        for (fault, p) in &self.rates.0 {
            edge += p;
            if x < edge {
                return (*fault != Fault::Limit || start).then_some(*fault);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_parses_and_draws_reproducibly_at_its_rates() {
        let rates: FaultRates = "internal=0.1, reset=0.05,lost-reply=0.05".parse().unwrap();
        let draws = |seed| {
            let draw = FaultDraw::new(rates.clone(), seed);
            (0..10_000).map(|_| draw.draw(true)).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7), "the same seed, the same faults");
        let seen = draws(7);
        let internal = seen.iter().filter(|f| **f == Some(Fault::Internal)).count();
        assert!(
            (800..1200).contains(&internal),
            "{internal} internal failures in 10,000"
        );
        assert!(seen.iter().filter(|f| f.is_none()).count() > 7500);
    }

    #[test]
    fn bad_profiles_are_refused_with_a_reason() {
        assert!("internal=2".parse::<FaultRates>().is_err());
        assert!("melt=0.1".parse::<FaultRates>().is_err());
        assert!("internal=0.6,reset=0.6".parse::<FaultRates>().is_err());
        let limit_only: FaultRates = "limit=1".parse().unwrap();
        let draw = FaultDraw::new(limit_only, 1);
        assert_eq!(draw.draw(false), None, "limit applies to Start only");
        assert_eq!(draw.draw(true), Some(Fault::Limit));
    }
}
