//! The pages of in-person service: the kiosk, the queue screens and counters, booking an
//! appointment.

pub mod appointments;
pub mod kiosk;
