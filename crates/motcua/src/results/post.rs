//! Results sent by post: a shipment with a UPU S10 tracking number, made by the desk once the
//! result is ready, and the status updates its carrier reports.

use jiff::Timestamp;
use motcua_domain::workflow::{Dossier, Status};
use motcua_domain::{Account, AccountKind, DossierCode, Role};
use motcua_store::StoreError;
use motcua_store::payments::{Shipment, ShipmentEvent};

use crate::app::{AppError, AppResult, ErrorCode, Kind};
use crate::results::Results;

/// The UPU S10 check digit of an 8-digit serial (weights 8 6 4 2 3 5 9 7).
pub fn s10_check_digit(serial: &str) -> Option<u8> {
    if serial.len() != 8 || !serial.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let weights = [8u32, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = serial.bytes().zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum();
    Some(match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        d => d as u8,
    })
}

/// A tracking number `EB12345678 5VN` (without the space): service letters, serial, check
/// digit, country.
pub fn tracking_number(serial: u32) -> String {
    let serial = format!("{:08}", serial % 100_000_000);
    let check = s10_check_digit(&serial).unwrap_or(0);
    format!("EB{serial}{check}VN")
}

/// A shipment to make; its tracking number is drawn when it is made.
pub struct Posting {
    pub recipient: String,
    pub address: String,
    pub phone: String,
    pub postage_fee: i64,
    pub carrier: String,
}

/// Whether the account may send the dossier's result by post now: a desk officer of its
/// desk, once there is a result.
pub fn may_post(account: &Account, d: &Dossier) -> AppResult<()> {
    if account.kind != AccountKind::Staff || !account.can_act(&d.desk_org, Role::DeskOfficer) {
        return Err(AppError::forbidden());
    }
    if !matches!(d.status, Status::Done | Status::Returned) {
        return Err(AppError::new(Kind::Conflict, ErrorCode::ResultNotReady, "Hồ sơ chưa có kết quả để gửi"));
    }
    Ok(())
}

impl Results<'_> {
    /// The desk sends the dossier's result by post (its desk officers, once there is a
    /// result): the shipment with its first event.
    pub async fn send_by_post(
        &self,
        account: &Account,
        d: &Dossier,
        p: Posting,
    ) -> AppResult<(Shipment, Vec<ShipmentEvent>)> {
        may_post(account, d)?;
        let now = Timestamp::now();
        for _ in 0..5 {
            let mut raw = [0u8; 4];
            getrandom::fill(&mut raw).map_err(|_| AppError::internal())?;
            let s = Shipment {
                dossier: d.code.clone(),
                tracking_number: tracking_number(u32::from_le_bytes(raw)),
                carrier: p.carrier.clone(),
                recipient: p.recipient.clone(),
                address: p.address.clone(),
                phone: p.phone.clone(),
                postage_fee: p.postage_fee,
                status: "created".into(),
                created_by: account.username.to_string(),
                created_at: now,
                updated_at: now,
            };
            match self.results.create_shipment(&s).await {
                Ok(()) => {
                    let events = self.results.shipment(&d.code).await?.map(|x| x.1).unwrap_or_default();
                    return Ok((s, events));
                }
                Err(StoreError::Conflict(_)) if self.results.shipment(&d.code).await?.is_some() => {
                    return Err(AppError::new(
                        Kind::Conflict,
                        ErrorCode::ShipmentExists,
                        "Hồ sơ đã được gửi qua bưu chính",
                    ));
                }
                // A tracking number taken already: draw another.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::internal())
    }

    /// The dossier's shipment with its status timeline, or 404.
    pub async fn shipment(&self, dossier: &DossierCode) -> AppResult<(Shipment, Vec<ShipmentEvent>)> {
        self.find_shipment(dossier).await?.ok_or_else(|| AppError::not_found("Hồ sơ không gửi qua bưu chính"))
    }

    /// The dossier's shipment with its status timeline, if it was sent by post.
    pub async fn find_shipment(&self, dossier: &DossierCode) -> AppResult<Option<(Shipment, Vec<ShipmentEvent>)>> {
        Ok(self.results.shipment(dossier).await?)
    }

    /// A carrier's status update of one of its parcels (another carrier's is as if it did not
    /// exist); a repeat of the last update changes nothing.
    pub async fn carrier_update(&self, carrier: &str, tracking: &str, status: String, note: &str) -> AppResult<()> {
        let shipment = self
            .results
            .shipment_by_tracking(tracking)
            .await?
            .ok_or_else(|| AppError::not_found("Không có bưu gửi này"))?;
        if shipment.carrier != carrier {
            return Err(AppError::not_found("Không có bưu gửi này"));
        }
        let note: String = note.trim().chars().take(300).collect();
        self.results.add_shipment_event(tracking, &ShipmentEvent { status, note, at: Timestamp::now() }).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s10_check_digits_follow_the_upu_rule() {
        // The commonly cited S10 number EE 12345678 5 US.
        assert_eq!(s10_check_digit("12345678"), Some(5));
        // 4·8+7·6+3·4+1·2+2·3+4·5+8·9+2·7 = 200; 200 mod 11 = 2; 11 − 2 = 9.
        assert_eq!(s10_check_digit("47312482"), Some(9));
        assert_eq!(s10_check_digit("00000000"), Some(5), "sum 0: 11 → 5");
        assert_eq!(s10_check_digit("1234567"), None);
        assert_eq!(tracking_number(12_345_678), "EB123456785VN");
    }
}
