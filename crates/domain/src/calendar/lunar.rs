//! The Vietnamese lunar calendar, computed astronomically for UTC+7.
//!
//! This is the published algorithm used for Vietnamese calendars (Hồ Ngọc Đức, after
//! Jean Meeus, *Astronomical Algorithms*): months begin on the day of the new moon in the
//! given time zone, month 11 is the one containing the winter solstice, and in a year with 13
//! months the leap month is the first one without a major solar term. Computing at UTC+7
//! rather than China's UTC+8 is what makes Vietnamese Tết differ in some years (1985, 2007).

use std::f64::consts::PI;

use jiff::civil::Date;

/// Vietnam's time zone, in hours east of UTC.
pub const VIETNAM_TZ: f64 = 7.0;

/// A date of the lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarDate {
    pub day: u8,
    pub month: u8,
    pub year: i16,
    pub leap: bool,
}

fn int(x: f64) -> i64 {
    x.floor() as i64
}

/// Julian day number of a proleptic Gregorian date.
pub fn jd_from_date(date: Date) -> i64 {
    let (dd, mm, yy) = (i64::from(date.day()), i64::from(date.month()), i64::from(date.year()));
    let a = (14 - mm) / 12;
    let y = yy + 4800 - a;
    let m = mm + 12 * a - 3;
    dd + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
}

/// The Gregorian date of a Julian day number, `None` outside jiff's range.
pub fn jd_to_date(jd: i64) -> Option<Date> {
    let a = jd + 32044;
    let b = (4 * a + 3) / 146097;
    let c = a - (b * 146097) / 4;
    let d = (4 * c + 3) / 1461;
    let e = c - (1461 * d) / 4;
    let m = (5 * e + 2) / 153;
    let day = e - (153 * m + 2) / 5 + 1;
    let month = m + 3 - 12 * (m / 10);
    let year = b * 100 + d - 4800 + m / 10;
    Date::new(i16::try_from(year).ok()?, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// Julian day (with fraction, UT) of the k-th new moon after the one of 1 January 1900.
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3;
    jd1 += 0.00033 * ((166.56 + 132.87 * t - 0.009173 * t2) * dr).sin();
    let m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3;
    let mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3;
    let f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3;
    let mut c1 = (0.1734 - 0.000393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let deltat = if t < -11.0 {
        0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    } else {
        -0.000278 + 0.000265 * t + 0.000262 * t2
    };
    jd1 + c1 - deltat
}

/// Day number (local) of the k-th new moon.
fn new_moon_day(k: i64, tz: f64) -> i64 {
    int(new_moon(k) + 0.5 + tz / 24.0)
}

/// Sun's apparent longitude in radians, normalised to [0, 2π), at a Julian day (UT).
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2451545.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
    let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
    let mut dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * (dr * m).sin();
    dl += (0.019993 - 0.000101 * t) * (dr * 2.0 * m).sin() + 0.000290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    l - PI * 2.0 * (l / (PI * 2.0)).floor()
}

/// Which of the 12 sectors (major solar terms) the sun is in at the start of a local day.
fn sun_sector(day_number: i64, tz: f64) -> i64 {
    int(sun_longitude(day_number as f64 - 0.5 - tz / 24.0) / PI * 6.0)
}

/// Day number of the start of lunar month 11 (the month of the winter solstice) of `year`.
fn lunar_month_11(year: i64, tz: f64) -> i64 {
    let Some(dec31) = Date::new(year as i16, 12, 31).ok() else { return 0 };
    let off = jd_from_date(dec31) - 2415021;
    let k = int(off as f64 / 29.530588853);
    let nm = new_moon_day(k, tz);
    if sun_sector(nm, tz) >= 9 { new_moon_day(k - 1, tz) } else { nm }
}

/// Offset (in months after month 11) of the leap month, in a 13-month year starting at `a11`.
fn leap_month_offset(a11: i64, tz: f64) -> i64 {
    let k = int((a11 as f64 - 2415021.076998695) / 29.530588853 + 0.5);
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i, tz), tz);
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i, tz), tz);
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// The Gregorian date of a lunar date, `None` if that lunar date does not exist
/// (a leap flag on a month that is not the leap month, a day past the month's end).
pub fn lunar_to_solar(lunar: LunarDate) -> Option<Date> {
    let tz = VIETNAM_TZ;
    let (day, month, year) = (i64::from(lunar.day), i64::from(lunar.month), i64::from(lunar.year));
    if !(1..=30).contains(&day) || !(1..=12).contains(&month) {
        return None;
    }
    let (a11, b11) = if month < 11 {
        (lunar_month_11(year - 1, tz), lunar_month_11(year, tz))
    } else {
        (lunar_month_11(year, tz), lunar_month_11(year + 1, tz))
    };
    let k = int(0.5 + (a11 as f64 - 2415021.076998695) / 29.530588853);
    let mut off = month - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        let leap_off = leap_month_offset(a11, tz);
        let mut leap_month = leap_off - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if lunar.leap && month != leap_month {
            return None;
        } else if lunar.leap || off >= leap_off {
            off += 1;
        }
    } else if lunar.leap {
        return None;
    }
    let month_start = new_moon_day(k + off, tz);
    let next_start = new_moon_day(k + off + 1, tz);
    if month_start + day > next_start {
        return None;
    }
    jd_to_date(month_start + day - 1)
}

/// The lunar date of a Gregorian date.
pub fn solar_to_lunar(date: Date) -> LunarDate {
    let tz = VIETNAM_TZ;
    let day_number = jd_from_date(date);
    // The last new moon on or before this day (the estimate can be off by one month).
    let mut k = int((day_number as f64 - 2415021.076998695) / 29.530588853) + 1;
    let mut month_start = new_moon_day(k, tz);
    while month_start > day_number {
        k -= 1;
        month_start = new_moon_day(k, tz);
    }
    let yy = i64::from(date.year());
    let mut a11 = lunar_month_11(yy, tz);
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = yy;
        a11 = lunar_month_11(yy - 1, tz);
    } else {
        lunar_year = yy + 1;
        b11 = lunar_month_11(yy + 1, tz);
    }
    let lunar_day = day_number - month_start + 1;
    let diff = (month_start - a11) / 29;
    let mut leap = false;
    let mut lunar_month = diff + 11;
    if b11 - a11 > 365 {
        let leap_diff = leap_month_offset(a11, tz);
        if diff >= leap_diff {
            lunar_month = diff + 10;
            if diff == leap_diff {
                leap = true;
            }
        }
    }
    if lunar_month > 12 {
        lunar_month -= 12;
    }
    if lunar_month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    LunarDate { day: lunar_day as u8, month: lunar_month as u8, year: lunar_year as i16, leap }
}

/// Mùng 1 Tết: the first day of the lunar year that starts in Gregorian `year`.
pub fn tet(year: i16) -> Option<Date> {
    lunar_to_solar(LunarDate { day: 1, month: 1, year, leap: false })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn tet_dates_as_celebrated_in_vietnam() {
        let known = [
            (1985, date(1985, 1, 21)), // China: 20 Feb 1985 — a whole month apart
            (1990, date(1990, 1, 27)),
            (2000, date(2000, 2, 5)),
            (2007, date(2007, 2, 17)), // China: 18 Feb 2007
            (2015, date(2015, 2, 19)),
            (2016, date(2016, 2, 8)),
            (2017, date(2017, 1, 28)),
            (2018, date(2018, 2, 16)),
            (2019, date(2019, 2, 5)),
            (2020, date(2020, 1, 25)),
            (2021, date(2021, 2, 12)),
            (2022, date(2022, 2, 1)),
            (2023, date(2023, 1, 22)),
            (2024, date(2024, 2, 10)),
            (2025, date(2025, 1, 29)),
            (2026, date(2026, 2, 17)),
        ];
        for (year, expected) in known {
            assert_eq!(tet(year), Some(expected), "Tết {year}");
        }
    }

    #[test]
    fn hung_kings_day() {
        // 10th day of the 3rd lunar month.
        let hung = |y| lunar_to_solar(LunarDate { day: 10, month: 3, year: y, leap: false }).unwrap();
        assert_eq!(hung(2023), date(2023, 4, 29));
        assert_eq!(hung(2024), date(2024, 4, 18));
        assert_eq!(hung(2025), date(2025, 4, 7));
    }

    #[test]
    fn leap_months() {
        // 2023 had a leap 2nd month (tháng 2 nhuận) starting 22 March 2023.
        assert_eq!(lunar_to_solar(LunarDate { day: 1, month: 2, year: 2023, leap: true }), Some(date(2023, 3, 22)));
        assert_eq!(lunar_to_solar(LunarDate { day: 1, month: 3, year: 2023, leap: true }), None);
        assert_eq!(lunar_to_solar(LunarDate { day: 1, month: 2, year: 2024, leap: true }), None);
    }

    #[test]
    fn round_trips_every_day_1990_to_2100() {
        let mut d = date(1990, 1, 1);
        let end = date(2100, 12, 31);
        while d <= end {
            let l = solar_to_lunar(d);
            assert_eq!(lunar_to_solar(l), Some(d), "{d} → {l:?}");
            d = d.tomorrow().unwrap();
        }
    }

    #[test]
    fn lunar_year_turns_at_tet() {
        let eve = solar_to_lunar(date(2025, 1, 28));
        assert_eq!((eve.day, eve.month, eve.year), (29, 12, 2024));
        let tet = solar_to_lunar(date(2025, 1, 29));
        assert_eq!((tet.day, tet.month, tet.year), (1, 1, 2025));
    }

    #[test]
    fn julian_day_numbers() {
        assert_eq!(jd_from_date(date(2000, 1, 1)), 2451545);
        assert_eq!(jd_to_date(2451545), Some(date(2000, 1, 1)));
    }
}
