//! The JSON API of in-person service: queues, kiosks, appointments.

pub mod appointments;
pub mod kiosk;
pub mod queue;
