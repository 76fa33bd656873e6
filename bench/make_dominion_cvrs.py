"""Write synthetic Dominion Democracy Suite 5.10-style CVR exports, for the CVR benchmark.

The output mimics a real export: zips (one per group of tabulators) holding ``CvrExport_N.json``
files of ``Sessions`` plus ``ContestManifest.json``, ``CandidateManifest.json`` and
``CountingGroupManifest.json``. One session in ``--multi-card-share`` is a two-sheet ballot
(two ``Cards``); the rest have one card. Contests are vote-for-1 with a few candidates, one of
them ranked-choice; some contests are undervoted. The expected card count and tallies are
written to ``expected.json`` so the reader can be checked, not just timed.

Generated at run time in a temporary folder; never committed.

    .venv/bin/python bench/make_dominion_cvrs.py OUT_DIR [--cards 5000000]
"""

from __future__ import annotations

import argparse
import json
import random
import zipfile
from multiprocessing import Pool
from pathlib import Path

VERSION = "5.10.50.85"
CONTESTS = [(1, "President", 4), (2, "US Senate", 3), (3, "Governor", 3), (4, "Measure A", 2)]
CONTESTS += [(10 + i, f"County Board District {i}", 3) for i in range(1, 5)]
RANKED = (30, "Mayor (RCV)", 4)
SHEET_2 = [(40, "School Board", 3), (41, "Measure B", 2)]
SESSIONS_PER_FILE = 1000
FILES_PER_ZIP = 100


def candidate_id(contest: int, n: int) -> int:
    """Return the candidate id of the ``n``-th candidate of ``contest``."""
    return contest * 100 + n


def contest_json(contest: int, candidates: int, rng: random.Random, ranked: bool) -> str:
    """Return one contest of a card as JSON text, with its marks."""
    if rng.random() < 0.03:
        return (
            f'{{"Id":{contest},"ManifestationId":{contest * 7},"Undervotes":1,"Overvotes":0,'
            f'"OutstackConditionIds":[],"Marks":[]}}'
        )
    picks = rng.sample(range(1, candidates + 1), 2 if ranked else 1)
    marks = ",".join(
        f'{{"CandidateId":{candidate_id(contest, c)},"ManifestationId":{c},"PartyId":0,'
        f'"Rank":{rank},"MarkDensity":{rng.randint(60, 100)},"IsAmbiguous":false,"IsVote":true,'
        f'"OutstackConditionIds":[]}}'
        for rank, c in enumerate(picks, 1)
    )
    return (
        f'{{"Id":{contest},"ManifestationId":{contest * 7},"Undervotes":0,"Overvotes":0,'
        f'"OutstackConditionIds":[],"Marks":[{marks}]}}'
    )


def write_zip(args: tuple[Path, int, int, int, float, int]) -> tuple[int, dict[str, int]]:
    """Write one zip of CVR files; return its card count and its first-choice tallies."""
    path, zip_index, first_card, cards_wanted, multi_share, seed = args
    rng = random.Random(seed)
    patterns = []
    for _ in range(500):
        sheet1 = [contest_json(c, n, rng, False) for c, _, n in CONTESTS]
        sheet1.append(contest_json(RANKED[0], RANKED[2], rng, True))
        sheet2 = [contest_json(c, n, rng, False) for c, _, n in SHEET_2]
        patterns.append((sheet1, sheet2, first_choices(sheet1), first_choices(sheet2)))
    uses = [0] * (2 * len(patterns))
    card_id = first_card
    cards = 0
    file_index = zip_index * FILES_PER_ZIP
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        while cards < cards_wanted:
            sessions = []
            tabulator = 1000 + file_index % 400
            batch = file_index // 400 + 1
            for record in range(1, SESSIONS_PER_FILE + 1):
                if cards >= cards_wanted:
                    break
                which = rng.randrange(len(patterns))
                sheet1, sheet2, _, _ = patterns[which]
                two = cards + 1 < cards_wanted and rng.random() < multi_share
                card_list = [(sheet1, 0)] + ([(sheet2, 1)] if two else [])
                rendered = []
                for contests, paper in card_list:
                    card_id += 1
                    cards += 1
                    uses[2 * which + paper] += 1
                    rendered.append(
                        f'{{"Id":{card_id},"KeyInId":{card_id},"PaperIndex":{paper},'
                        f'"Contests":[{",".join(contests)}],"OutstackConditionIds":[]}}'
                    )
                sessions.append(
                    f'{{"TabulatorId":{tabulator},"BatchId":{batch},"RecordId":{record},'
                    f'"CountingGroupId":{1 + record % 2},"ImageMask":"D:\\\\Results\\\\'
                    f'Tabulator{tabulator}\\\\Batch{batch:03d}\\\\Images\\\\{record:06d}*.*",'
                    f'"SessionType":"ScannedVote","VotingSessionIdentifier":"",'
                    f'"UniqueVotingIdentifier":"","Original":{{"PrecinctPortionId":'
                    f'{1 + batch % 50},"BallotTypeId":{1 + batch % 7},"IsCurrent":true,'
                    f'"Cards":[{",".join(rendered)}]}}}}'
                )
            document = (
                f'{{"Version":"{VERSION}","ElectionId":"SYNTHETIC GENERAL",'
                f'"Sessions":[{",".join(sessions)}]}}'
            )
            out.writestr(f"CvrExport_{file_index}.json", document)
            file_index += 1
        if zip_index == 0:
            for name, body in manifests().items():
                out.writestr(name, body)
    tallies: dict[str, int] = {}
    for which, (_, _, votes1, votes2) in enumerate(patterns):
        for paper, votes in ((0, votes1), (1, votes2)):
            for candidate in votes:
                tallies[candidate] = tallies.get(candidate, 0) + uses[2 * which + paper]
    return cards, tallies


def first_choices(contests: list[str]) -> list[str]:
    """Return the candidate ids given rank 1 in a card's contests (what the tally counts)."""
    return [
        str(mark["CandidateId"])
        for text in contests
        for mark in json.loads(text)["Marks"]
        if mark["Rank"] == 1
    ]


def manifests() -> dict[str, str]:
    """Return the manifest files of the synthetic election."""
    contests = [*CONTESTS, RANKED, *SHEET_2]
    contest_list = [
        {
            "Description": name,
            "Id": cid,
            "ExternalId": "",
            "DistrictId": 1,
            "VoteFor": 1,
            "NumOfRanks": RANKED[2] if cid == RANKED[0] else 0,
        }
        for cid, name, _ in contests
    ]
    candidate_list = [
        {
            "Description": f"{name} candidate {n}",
            "Id": candidate_id(cid, n),
            "ExternalId": None,
            "ContestId": cid,
            "Type": "Regular",
        }
        for cid, name, count in contests
        for n in range(1, count + 1)
    ]
    groups = [{"Description": "Election Day", "Id": 1}, {"Description": "Mail", "Id": 2}]
    return {
        "ContestManifest.json": json.dumps({"Version": VERSION, "List": contest_list}),
        "CandidateManifest.json": json.dumps({"Version": VERSION, "List": candidate_list}),
        "CountingGroupManifest.json": json.dumps({"Version": VERSION, "List": groups}),
    }


def generate(out_dir: Path, cards: int, multi_share: float = 0.1, workers: int = 2) -> Path:
    """Write the export zips for ``cards`` cards under ``out_dir``; return ``expected.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    per_zip = SESSIONS_PER_FILE * FILES_PER_ZIP
    jobs = []
    start = 0
    for index in range((cards + per_zip - 1) // per_zip):
        wanted = min(per_zip, cards - start)
        target = out_dir / f"CvrExport_{index:03d}.zip"
        jobs.append((target, index, start * 2, wanted, multi_share, index))
        start += wanted
    with Pool(workers) as pool:
        results = pool.map(write_zip, jobs)
    total = sum(n for n, _ in results)
    tallies: dict[str, int] = {}
    for _, part in results:
        for key, n in part.items():
            tallies[key] = tallies.get(key, 0) + n
    expected = out_dir / "expected.json"
    expected.write_text(json.dumps({"cards": total, "first_choice_tallies": tallies}))
    return expected


def main() -> None:
    """Parse arguments and write the exports."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--cards", type=int, default=5_000_000)
    parser.add_argument("--multi-card-share", type=float, default=0.1)
    args = parser.parse_args()
    expected = generate(args.out_dir, args.cards, args.multi_card_share)
    print(f"wrote {args.cards:,} cards to {args.out_dir} ({expected.name} has the tallies)")


if __name__ == "__main__":
    main()
