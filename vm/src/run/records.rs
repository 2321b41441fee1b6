//! A line of a results file, read once into the record schema and sent on
//! as the event that carries it.

use crate::run::events::Event;
use llconf_reports::record::Record;

pub fn to_event(suite: &str, line: String) -> Event {
    let suite = suite.to_string();
    match serde_json::from_str::<Record>(&line) {
        Ok(record) => Event::Record { suite, record },
        Err(e) => Event::UnreadableLine {
            suite,
            line,
            error: e.to_string(),
        },
    }
}
