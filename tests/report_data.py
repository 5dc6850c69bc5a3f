"""A small clinic, written row by row, whose report figures are worked out by hand.

The period used by the tests is 2026-03-01 to 2026-05-31 (clinic time, America/New_York; daylight
saving starts 2026-03-08). Times below are UTC. The answers, worked out by hand, are in
tests/unit/test_report_figures.py next to each figure's test.

c1  referred 2026-03-02, left, diagnostic, Dr Ada, clinic default payer (Medicare). First verdict
    03-09 eligible; booked 03-10; Suite 1 03-16 30 min done; procedure 03-16 25 min (an allergy
    warning); outcome 04-20 positive, RFA evaluation. Diary t0 8, d1 3, d7 4, w2 6 (late), w6 3.
c2  referred 03-20, right, diagnostic, Dr Bo, eviCore. First verdict 03-25 not eligible (care not
    met), overridden by Dr Bo 03-27; booked 03-30 for Suite 1 04-06 (no-show); booked again 04-07 for
    Suite 1 04-13 40 min done; procedure 04-13 35 min (a volume warning, vascular uptake then a clean
    repeat); outcome 05-01 negative, physical therapy. Diary t0 6, d1 2, d7 3, w2 3.
c3  crosses the period's start: referred 02-10, verdict 02-20, booked 02-25 (all before); Suite 2
    03-02 cancelled "patient unwell "; Suite 2 03-03 done; procedure 03-03 18 min. Left, therapeutic,
    Dr Ada, Medicare, still in follow-up. Diary t0 7, d1 3, d7 missed, w2 3, w6 5 (late, by phone).
c4  referred 04-15, bilateral, diagnostic, Dr Bo, MP-558. First verdict 04-22 not eligible (tests and
    care not met), second verdict 05-10 eligible; booked 05-12: Suite 2 05-20 60 min cancelled
    "Patient unwell", Suite 2 05-27 still "booked" (never checked in: a no-show).
c5  referred 06-10, after the period, verdict 06-12.
c6  referred 05-31, the period's last day, nothing else yet.
c7  referred 01-20, closed with an indeterminate outcome 05-15 (Dr Ada, Medicare), discharge.
c8, c9  one patient (Medicare), diagnostic procedures 2026-02-01 and 2026-08-01: at the cap of 2.
c10 referred 05-05, right, diagnostic, Dr Bo, CAM 770HB, first verdict 05-06 incomplete (a criterion
    unknown, none failed): under review.
"""
from datetime import date, datetime, time, timezone

from tracker.diary.kept import keep_relief
from tracker.roles import Role
from tracker.extensions import db
from tracker.models import (Appointment, Case, DiaryEntry, DiaryPoint, DiaryReminder, EligibilityVerdict, Outcome,
                            Patient, ProcedureRecord, ProcedureStep, Room, User, WorkingHours)
from tracker.models.procedure import ProcedureStatus
from tracker.vocab import AppointmentStatus, EntrySource
from tracker.workflow import State

PERIOD = (date(2026, 3, 1), date(2026, 5, 31))


def at(month, day, hour=14, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


def _criteria(**statuses):
    return {"criteria": [{"code": code, "status": status, "label": code, "evidence": "", "source": "",
                          "shortfall": ""} for code, status in statuses.items()]}


class Clinic:
    """Builds the data set; its attributes name the rows the tests look at."""

    def __init__(self):
        self.coordinator = self._user(Role.COORDINATOR, "Coordinator Cy", "cy@test.clinic")
        self.ada = self._user(Role.PHYSICIAN, "Dr Ada", "ada@test.clinic")
        self.bo = self._user(Role.PHYSICIAN, "Dr Bo", "bo@test.clinic")
        self.suite1, self.suite2 = Room(name="Suite 1"), Room(name="Suite 2")
        db.session.add_all([self.suite1, self.suite2])
        # Dr Ada works 08:00-16:00 Monday to Friday, Dr Bo 09:00-17:00 on Mondays: the suite is staffed
        # 540 minutes on Mondays and 480 on other weekdays, 2,460 in a full week.
        db.session.add_all([WorkingHours(physician_id=self.ada.id, weekday=d, starts=time(8), ends=time(16))
                            for d in range(5)])
        db.session.add(WorkingHours(physician_id=self.bo.id, weekday=0, starts=time(9), ends=time(17)))
        db.session.flush()

        self.c1 = self._case("left", "diagnostic", self.ada, None, date(2026, 3, 2), State.CLOSED)
        self._verdict(self.c1, at(3, 9), True, "MEDICARE_LCD_2023", pain_duration="met")
        a1 = self._appointment(self.c1, self.suite1, at(3, 16), 30, AppointmentStatus.DONE, booked=at(3, 10, 15))
        self._procedure(self.c1, a1, at(3, 16, 14, 5), 25,
                        warnings="Documented iodinated contrast allergy: Iohexol was chosen.")
        self._diary(self.c1, {"t0": (8, at(3, 16, 14, 5), at(3, 15)), "d1": (3, at(3, 18, 2, 5), at(3, 17)),
                              "d7": (4, at(3, 24, 14, 5), at(3, 23)), "w2": (6, at(4, 2, 14, 5), at(4, 5)),
                              "w6": (3, at(5, 4, 14, 5), at(5, 4, 10))}, "left")
        self._outcome(self.c1, "positive", "rfa_evaluation", at(4, 20))

        self.c2 = self._case("right", "diagnostic", self.bo, "EVICORE_CMM_203", date(2026, 3, 20), State.CLOSED)
        verdict = self._verdict(self.c2, at(3, 25, 16), False, "EVICORE_CMM_203",
                                conservative_care_duration="not_met", provocation_tests="met",
                                pain_duration="unknown")
        verdict.override_reason, verdict.override_by_id, verdict.override_at = "Outside records", self.bo.id, at(3, 27)
        self._appointment(self.c2, self.suite1, at(4, 6), 30, AppointmentStatus.NO_SHOW, booked=at(3, 30, 13))
        a2 = self._appointment(self.c2, self.suite1, at(4, 13), 40, AppointmentStatus.DONE, booked=at(4, 7))
        record = self._procedure(self.c2, a2, at(4, 13, 14, 10), 35,
                                 warnings="Right side: 3 mL in total is more than the joint usually holds (2.5 mL).")
        db.session.add_all([
            ProcedureStep(record_id=record.id, step="contrast", side="right", attempt=1, recorded_by_id=self.bo.id,
                          answers={"vascular_uptake": True, "agent": "iohexol"}, recorded_at=at(4, 13, 14, 20),
                          first_recorded_at=at(4, 13, 14, 20), first_recorded_by_id=self.bo.id),
            ProcedureStep(record_id=record.id, step="contrast", side="right", attempt=2, recorded_by_id=self.bo.id,
                          answers={"vascular_uptake": False, "agent": "iohexol"}, recorded_at=at(4, 13, 14, 25),
                          first_recorded_at=at(4, 13, 14, 25), first_recorded_by_id=self.bo.id)])
        self._diary(self.c2, {"t0": (6, at(4, 13, 14, 10), at(4, 12)), "d1": (2, at(4, 15, 2, 10), at(4, 14)),
                              "d7": (3, at(4, 21, 14, 10), at(4, 20)), "w2": (3, at(4, 30, 14, 10), at(4, 27)),
                              "w6": (None, at(6, 1, 14, 10), None)}, "right")
        self._outcome(self.c2, "negative", "physical_therapy", at(5, 1))

        self.c3 = self._case("left", "therapeutic", self.ada, None, date(2026, 2, 10), State.FOLLOW_UP)
        self._verdict(self.c3, at(2, 20, 15), True, "MEDICARE_LCD_2023", pain_duration="met")
        cancelled = self._appointment(self.c3, self.suite2, at(3, 2, 15), 30, AppointmentStatus.CANCELLED,
                                      booked=at(2, 25))
        cancelled.cancelled_reason = "patient unwell "
        a3 = self._appointment(self.c3, self.suite2, at(3, 3, 15), 30, AppointmentStatus.DONE, booked=at(2, 26))
        self._procedure(self.c3, a3, at(3, 3, 15, 5), 18)
        self._diary(self.c3, {"t0": (7, at(3, 3, 15, 5), at(3, 1)), "d1": (3, at(3, 5, 3, 5), at(3, 4)),
                              "d7": (None, at(3, 11, 15, 5), None), "w2": (3, at(3, 20, 15, 5), at(3, 17, 15)),
                              "w6": (5, at(4, 21, 15, 5), at(4, 22))}, "left", by_phone={"w6"})

        self.c4 = self._case("bilateral", "diagnostic", self.bo, "MP_558", date(2026, 4, 15), State.SCHEDULED)
        self._verdict(self.c4, at(4, 22, 18), False, "MP_558", provocation_tests="not_met",
                      conservative_care_duration="not_met")
        self._verdict(self.c4, at(5, 10), True, "MP_558", provocation_tests="met")
        cancelled = self._appointment(self.c4, self.suite2, at(5, 20), 60, AppointmentStatus.CANCELLED,
                                      booked=at(5, 12))
        cancelled.cancelled_reason = "Patient unwell"
        self._appointment(self.c4, self.suite2, at(5, 27), 30, AppointmentStatus.BOOKED, booked=at(5, 21))

        self.c5 = self._case("left", "diagnostic", self.ada, None, date(2026, 6, 10), State.NOT_ELIGIBLE)
        self._verdict(self.c5, at(6, 12), False, "MEDICARE_LCD_2023", provocation_tests="not_met")
        self.c6 = self._case("left", "diagnostic", self.ada, None, date(2026, 5, 31), State.REFERRED)
        self.c7 = self._case("left", "diagnostic", self.ada, None, date(2026, 1, 20), State.CLOSED)
        self._outcome(self.c7, "indeterminate", "discharge", at(5, 15))

        # An incomplete first verdict: a criterion unknown, none failed (counted apart from not eligible).
        self.c10 = self._case("right", "diagnostic", self.bo, "CAM_770HB", date(2026, 5, 5), State.UNDER_REVIEW)
        self._verdict(self.c10, at(5, 6), False, "CAM_770HB", provocation_tests="met", pain_duration="unknown")

        capped = self._patient("Capped", "Carla")
        self.c8 = self._case("left", "diagnostic", self.ada, None, date(2026, 1, 10), State.CLOSED, patient=capped)
        self._procedure(self.c8, None, at(2, 1, 15), 20)
        self.c9 = self._case("left", "diagnostic", self.ada, None, date(2026, 7, 15), State.FOLLOW_UP, patient=capped)
        self._procedure(self.c9, None, at(8, 1, 15), 20)

        # Reminders: three inside the period (sent, failed, skipped), one after it.
        points = {(p.case_id, p.point_code): p for p in db.session.execute(db.select(DiaryPoint)).scalars()}
        for case, code, status, claimed in ((self.c1, "d7", "sent", at(3, 18)), (self.c1, "w2", "failed", at(3, 25)),
                                            (self.c2, "w2", "skipped", at(4, 20)),
                                            (self.c1, "w6", "sent", at(6, 5))):
            db.session.add(DiaryReminder(point_id=points[(case.id, code)].id, channel="email", attempt=1,
                                         status=status, claimed_at=claimed))
        self.keep_relief()
        db.session.commit()

    def keep_relief(self):
        """The relief spans the diary's write paths keep (the rows above are inserted directly)."""
        for case in db.session.execute(db.select(Case)).scalars():
            keep_relief(case)

    _n = 0

    def _user(self, role, name, email):
        user = User(email=email, name=name, role=role, password_hash="x")
        db.session.add(user)
        db.session.flush()
        return user

    def _patient(self, family, given):
        Clinic._n += 1
        patient = Patient(mrn=f"RPT{Clinic._n:04d}", family_name=family, given_name=given,
                          date_of_birth=date(1960, 1, 1))
        db.session.add(patient)
        db.session.flush()
        return patient

    def _case(self, side, indication, physician, profile, referred, state, patient=None):
        patient = patient or self._patient(f"Patient{Clinic._n + 1}", "Test")
        case = Case(patient_id=patient.id, side=side, indication=indication, physician_id=physician.id,
                    payer_profile_code=profile, referral_date=referred, state=state, referring_clinician="Dr R",
                    created_by_id=self.coordinator.id)
        db.session.add(case)
        db.session.flush()
        return case

    def _verdict(self, case, when, eligible, profile, **statuses):
        verdict = EligibilityVerdict(case_id=case.id, evaluated_at=when, evaluated_by_id=self.coordinator.id,
                                     profile_code=profile, profile_version=1, eligible=eligible,
                                     snapshot=_criteria(**statuses), facts_fingerprint="x")
        db.session.add(verdict)
        db.session.flush()
        return verdict

    def _appointment(self, case, room, starts, minutes, status, booked):
        from datetime import timedelta

        appointment = Appointment(case_id=case.id, physician_id=case.physician_id, room_id=room.id,
                                  starts_at=starts, ends_at=starts + timedelta(minutes=minutes), status=status,
                                  created_at=booked, created_by_id=self.coordinator.id,
                                  cancelled_reason="x" if status == AppointmentStatus.CANCELLED else None)
        db.session.add(appointment)
        db.session.flush()
        return appointment

    def _procedure(self, case, appointment, started, minutes, warnings=""):
        from datetime import timedelta

        ended = started + timedelta(minutes=minutes)
        record = ProcedureRecord(case_id=case.id, appointment_id=appointment.id if appointment else None,
                                 side=case.side, status=ProcedureStatus.SIGNED, started_at=started,
                                 started_by_id=case.physician_id, ended_at=ended, duration_minutes=minutes,
                                 signed_at=ended, signed_by_id=case.physician_id)
        db.session.add(record)
        db.session.flush()
        db.session.add(ProcedureStep(record_id=record.id, step="sign_out", side=case.side if case.side != "bilateral"
                                     else "left", recorded_by_id=case.physician_id, answers={}, warnings=warnings,
                                     recorded_at=ended, first_recorded_at=ended,
                                     first_recorded_by_id=case.physician_id))
        db.session.flush()
        return record

    def _diary(self, case, points, side, by_phone=()):
        """{code: (score or None, closes_at, entered_at or None)}: a point per code, completed when
        entered (late when entered after its window closed)."""
        for code, (score, closes, entered) in points.items():
            point = DiaryPoint(case_id=case.id, point_code=code, opens_at=min(closes, entered or closes),
                               closes_at=closes, completed_at=entered)
            db.session.add(point)
            db.session.flush()
            if score is not None:
                phone = code in by_phone
                db.session.add(DiaryEntry(point_id=point.id, case_id=case.id, side=side, score=score,
                                          entered_at=entered, late=entered > closes,
                                          source=EntrySource.STAFF_PHONE if phone else EntrySource.LINK,
                                          entered_by_id=self.coordinator.id if phone else None))
        db.session.flush()

    def _outcome(self, case, result, next_step, when):
        db.session.add(Outcome(case_id=case.id, diagnostic_result=result, next_step=next_step,
                               decided_by_id=case.physician_id, decided_at=when, per_side={}))
        # Recording the outcome closes the case: its state changed then.
        case.state_changed_at = when
        db.session.flush()
