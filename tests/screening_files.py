"""Small synthetic Wisconsin-style files for the screening tests: results now and in a baseline
(generic CSV), an EL-190 statistics table and an equipment list, from a synthetic state."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from papertally.io.covariate_files import EL190_COLUMNS, EQUIPMENT_COLUMNS
from papertally.screening.synthetic import synthetic_state

EDGE = "Dominion (Sequoia)/Command Central-Edge"


def write_state(
    directory: Path, units: int = 240, *, effect: float = 0.0, seed: int = 5
) -> dict[str, Path]:
    """Write the four files of a synthetic state with ``units`` towns and return their paths."""
    frame = synthetic_state(units, counties=8, effect=effect, group_share=0.3, seed=seed)
    votes_now = frame.votes_now.astype(int)
    base_share = frame.controls["baseline_share"]
    votes_base = np.maximum(
        (votes_now / np.exp(frame.controls["turnout_change"])).round().astype(int), 10
    )
    rep_base = (votes_base * base_share).round().astype(int)
    rep_now = np.clip((votes_now * (base_share + frame.swing)).round(), 0, votes_now).astype(int)
    paths = {name: directory / f"{name}.csv" for name in ("now", "baseline", "equipment", "el190")}
    header = ["county", "reporting_unit", "contest", "choice", "party", "votes", "election_date",
              "state"]  # fmt: skip
    for name, rep, total, day in (
        ("now", rep_now, votes_now, "2016-11-08"),
        ("baseline", rep_base, votes_base, "2012-11-06"),
    ):
        with paths[name].open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for i in range(units):
                county = frame.counties[i].replace("COUNTY ", "C")
                ward = f"TOWN OF T{i} Ward 1"
                for choice, party, votes in (
                    ("Red", "REP", rep[i]),
                    ("Blue", "DEM", total[i] - rep[i]),
                ):
                    writer.writerow([county, ward, "PRESIDENT", choice, party, votes, day, "WI"])
    with paths["equipment"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["County", "Municipality", *EQUIPMENT_COLUMNS.values()])
        for i in range(units):
            county = frame.counties[i].replace("COUNTY ", "C")
            device = EDGE if frame.group[i] else "ES&S Automark"
            writer.writerow([f"{county} COUNTY - 01", f"TOWN OF T{i} - {i:05d}", "None", device])
    rng = np.random.default_rng(seed)
    with paths["el190"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["HINDI", "County", "Municipality", "Reporting Unit", *EL190_COLUMNS.values()]
        )
        for i in range(units):
            county = frame.counties[i].replace("COUNTY ", "C")
            ballots = int(votes_now[i]) + 2
            absentee = int(ballots * frame.controls["absentee_share"][i])
            issued = absentee + int(rng.integers(0, 5))
            dre = ballots // 2 if frame.group[i] else 0
            row = {
                "registrants": ballots + 100, "election_day_registrants": 10,
                "total_ballots": ballots, "paper_ballots": ballots - dre,
                "optical_scan_ballots": 0, "dre_ballots": dre, "automark_ballots": 0,
                "absentee_issued": issued, "absentee_returned": absentee,
                "absentee_counted": absentee, "absentee_rejected": 0, "absentee_late": 0,
            }  # fmt: skip
            writer.writerow([i, f"{county} COUNTY", f"TOWN OF T{i}", "Ward 1",
                             *(row[k] for k in EL190_COLUMNS)])  # fmt: skip
    return paths
