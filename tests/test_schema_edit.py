"""Adding an input is one edit of ``schema.FIELDS``: in a copy of the package, a cost field (after
``platform_fees``) and a percentage field are added, and the copy — imported in a fresh interpreter — must agree
with itself everywhere on random campaigns: the core, the recalculated live workbook, the reader, the batch
columns and the static copy.

The cost field is the case a range declared by its first and last key gets wrong: the core sums the whole
costs group, so the workbook's total cost must too.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("formulas")

ROOT = Path(__file__).parent.parent

NEW_COST = '''    InputField("live_stream_fees", "Live-stream fees", "直播费用", group="costs",
               help="Hosts and studio of the campaign's live streams, ¥.", **_MONEY),
'''
NEW_SHARE = '''    InputField("member_share", "Members' share of buyers", "会员购买占比", group="customers",
               default=0.2, help="Share of buyers who are loyalty members.", **_SHARE),
'''

#: Runs in the copy: draws campaigns from the copy's FIELDS and checks every consumer against the core.
CHECK = textwrap.dedent('''
    import csv, json, math, sys
    from pathlib import Path

    from hypothesis import HealthCheck, given, settings

    import xhsxl
    from xhsxl.schema import FIELDS, OUTPUTS, SPANS
    from xhsxl.workbook.clients import read_clients
    from xhsxl.workbook.read import input_places, named_places, read_inputs
    from xhsxl.workbook.recalc import Recalculator
    from xhsxl.workbook.static import same_value, static_mismatches
    from xhsxl.workbook.sheets import worked_examples
    from xhsxl.workbook.template import build_workbook, workbook_bytes
    from openpyxl.utils import get_column_letter
    from field_strategies import campaigns

    work = Path(sys.argv[1])
    report = {"package": xhsxl.__file__, "fields": [f.key for f in FIELDS], "costs": list(SPANS["cost_lines"]),
              "campaigns": 0, "new_cost_total": 0.0, "problems": []}
    problems = report["problems"]
    template = work / "template.xlsx"
    template.write_bytes(workbook_bytes(build_workbook()))
    places = named_places(build_workbook())
    typed = input_places(build_workbook())  # where each field is typed (a platform-fed one has a value cell too)

    def address(name, where=places):
        sheet, row, column, _, _ = where[name]
        return sheet, f"{get_column_letter(column)}{row}"

    recalculator = Recalculator(template, inputs=[address(f.key, typed) for f in FIELDS])
    drawn = []

    @settings(max_examples=int(sys.argv[2]), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(campaigns())
    def check(campaign):
        n = len(drawn)
        drawn.append(campaign)
        report["campaigns"] += 1
        report["new_cost_total"] += campaign.live_stream_fees
        core = campaign.results()
        if not math.isclose(core["total_cost"], math.fsum(getattr(campaign, k) for k in SPANS["cost_lines"])):
            problems.append(f"core total cost {core['total_cost']} is not the sum of the costs group")
        result = recalculator.calculate({address(f.key, typed): getattr(campaign, f.key) for f in FIELDS})
        problems.extend(f"recalc error {e}" for e in result.errors)
        for output in OUTPUTS:
            got, expected = result.value(*address(output.key)), core[output.key]
            if not (got == "n/a" if expected is None else same_value(got, expected, rel=1e-9)):
                problems.append(f"{output.key}: workbook {got!r}, core {expected!r}")
        path = work / f"client{n}.xlsx"
        path.write_bytes(workbook_bytes(build_workbook(campaign)))
        read = read_inputs(path)
        problems.extend(f"reader: {p}" for p in read.problems)
        for f in FIELDS:  # a workbook keeps a number to 16 significant digits
            got, expected = getattr(read.campaign, f.key, None), getattr(campaign, f.key)
            if not same_value(got, expected, rel=1e-15):
                problems.append(f"reader: {f.key} read {got!r}, written {expected!r}")
        problems.extend(f"static: {m}" for m in static_mismatches(campaign, result, sheet_values=worked_examples()))

    check()
    table = work / "clients.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f.key for f in FIELDS])
        for campaign in drawn:
            writer.writerow(["" if getattr(campaign, f.key) is None else repr(getattr(campaign, f.key))
                             if isinstance(getattr(campaign, f.key), float) else getattr(campaign, f.key)
                             for f in FIELDS])
    clients = read_clients(table)
    problems.extend(f"batch columns: {p}" for p in clients.problems)
    for row, campaign in zip(clients.good_rows, drawn, strict=True):
        for f in FIELDS:
            got, expected = getattr(row.campaign, f.key), getattr(campaign, f.key)
            if not same_value(got, expected, rel=1e-15):
                problems.append(f"batch columns: {f.key} read {got!r}, written {expected!r}")
    print(json.dumps(report))
''')


def add_fields(schema: str) -> str:
    """The two new fields, each inserted where an engineer would put it."""
    after_platform_fees = schema.index("\n", schema.index('article 002).", **_MONEY),')) + 1
    schema = schema[:after_platform_fees] + NEW_COST + schema[after_platform_fees:]
    strategy = schema.index("    # strategy\n")
    return schema[:strategy] + NEW_SHARE + schema[strategy:]


def test_a_cost_and_a_percentage_added_to_the_schema_reach_every_consumer_and_agree(tmp_path):
    package = tmp_path / "copy" / "xhsxl"
    shutil.copytree(ROOT / "xhsxl", package, ignore=shutil.ignore_patterns("__pycache__"))
    schema = package / "schema.py"
    schema.write_text(add_fields(schema.read_text(encoding="utf-8")), encoding="utf-8")
    script = tmp_path / "check.py"
    script.write_text(CHECK, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package.parent), str(ROOT / "tests")]))
    done = subprocess.run([sys.executable, str(script), str(tmp_path), "6"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(report["package"]).resolve().is_relative_to(package.parent.resolve())  # the copy, not the repository
    assert report["costs"][-1] == "live_stream_fees" and "member_share" in report["fields"]
    assert report["campaigns"] == 6 and report["new_cost_total"] > 0  # the new cost was drawn, not left at 0
    assert report["problems"] == [], report["problems"][:10]
