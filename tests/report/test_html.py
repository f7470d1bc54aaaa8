"""The report document: HTML is self-contained and escaped, Markdown mirrors it; the CRN picture."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from nn2crn import CRN, InputDataError, Reaction, Signal
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.nn import random_ternary_network
from nn2crn.report import html as doc
from nn2crn.report.crn_graph import graph_layers, plot_crn_graph

PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def sample_report() -> doc.Report:
    return doc.Report(
        "Title with <b>tags</b>",
        (
            doc.Section(
                "Numbers",
                (
                    doc.Paragraph("Run `nn2crn demo` & look <script>alert(1)</script>."),
                    doc.Table(
                        ("name", "value", "note"), (("a", "1.5", "x | y"), ("b", "-2", "z")), caption="cap"
                    ),
                    doc.Note("careful"),
                ),
            ),
            doc.Section(
                "Pictures",
                (
                    doc.Figure("dot.png", "a dot"),
                    doc.Code("nn2crn demo -o out\n<not a tag>"),
                    doc.Links((("data.csv", "the data"),)),
                ),
            ),
        ),
        subtitle="sub",
        footer="foot",
    )


def test_html_embeds_figures_and_escapes_text(tmp_path):
    (tmp_path / "dot.png").write_bytes(PNG_1x1)
    page = doc.render_html(sample_report(), tmp_path)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Title with &lt;b&gt;tags&lt;/b&gt;" in page
    assert "<code>nn2crn demo</code> &amp; look" in page
    assert "&lt;not a tag&gt;" in page
    (source,) = re.findall(r'<img src="([^"]+)"', page)
    assert source == "data:image/png;base64," + base64.b64encode(PNG_1x1).decode()
    assert '<a href="data.csv">' in page
    assert "http" not in page.replace("http-equiv", "")
    # numeric columns are right-aligned, text columns are not
    assert '<td class="num">1.5</td>' in page and '<td class="num">-2</td>' in page
    assert "<td>x | y</td>" in page and "<caption>cap</caption>" in page


def test_markdown_twin_mirrors_the_content():
    markdown = doc.render_markdown(sample_report())
    assert markdown.startswith("# Title with <b>tags</b>\n")
    assert "| name | value | note |\n|:---|---:|:---|\n| a | 1.5 | x \\| y |\n| b | -2 | z |" in markdown
    assert "![a dot](dot.png)" in markdown
    assert "```\nnn2crn demo -o out\n<not a tag>\n```" in markdown
    assert "- [`data.csv`](data.csv): the data" in markdown
    assert "> **Note.** careful" in markdown


def test_write_report_writes_both_and_missing_figures_fail_clearly(tmp_path):
    with pytest.raises(InputDataError, match="dot.png: no such file"):
        doc.write_report(sample_report(), tmp_path)
    (tmp_path / "dot.png").write_bytes(PNG_1x1)
    html_path, markdown_path = doc.write_report(sample_report(), tmp_path)
    assert html_path.name == "report.html" and markdown_path.name == "report.md"
    (tmp_path / "dot.gif").write_bytes(b"GIF89a")
    report = doc.Report("t", (doc.Section("s", (doc.Figure("dot.gif", "gif"),)),))
    with pytest.raises(InputDataError, match="unsupported image type '.gif'"):
        doc.render_html(report, tmp_path)


def test_table_rows_must_match_the_header():
    with pytest.raises(ValueError, match="table row 1 has 1 cells, expected 2"):
        doc.Table(("a", "b"), (("1", "2"), ("3",)))


def test_column_alignments():
    assert doc.column_alignments(("k", "n", "t"), [("1", "2", "x"), ("a", "−3.5", "4")]) == (
        "left",
        "right",
        "left",
    )
    assert doc.column_alignments(("k", "empty"), [("1", ""), ("2", " ")]) == ("left", "left")
    assert doc.column_alignments(("k", "v"), [("a", "98.0% (147/150) at t = 50")]) == ("left", "right")
    assert doc.column_alignments(("k", "v"), [("a", "141/150 = 94.0% (4-8-3 binary)")]) == ("left", "left")


def small_crn() -> CRN:
    return CRN(
        (Reaction(["A"], ["B", "C"]), Reaction(["B", "C"], [("D", 2)])),
        inputs=(Signal("a", ("A",)),),
        outputs=(Signal("d", ("D",)),),
        initial={"C": 1.0},
    )


def test_graph_layers_follow_the_longest_path():
    crn = small_crn()
    species_columns, reaction_columns = graph_layers(crn)
    column = dict(zip(crn.species, species_columns.tolist(), strict=True))
    assert column == {"A": 0, "B": 2, "C": 2, "D": 4}
    assert reaction_columns.tolist() == [1, 3]


def test_graph_layers_of_a_compiled_network_put_each_layer_further_right(rng):
    network = random_ternary_network((3, 4, 4, 2), rng=rng, zero_fraction=0.0)
    crn = compile_network(network)
    species_columns, reaction_columns = graph_layers(crn)
    column = dict(zip(crn.species, species_columns.tolist(), strict=True))
    assert {column[f"x{i}{s}"] for i in range(3) for s in "pn"} == {0}
    assert max(column[f"h1_{j}p"] for j in range(4)) < min(column[f"h2_{j}p"] for j in range(4))
    assert max(column[f"h2_{j}n"] for j in range(4)) < min(column[f"y{k}p"] for k in range(2))
    assert (species_columns % 2 == 0).all() and (reaction_columns % 2 == 1).all()
    # a reaction sits right of all its reactants and left of all its products
    for index, reaction in enumerate(crn.reactions):
        assert all(column[name] < reaction_columns[index] for name, _ in reaction.reactants)
        assert all(column[name] > reaction_columns[index] for name, _ in reaction.products)


def test_crn_graph_is_drawn_with_species_names_and_refused_when_too_big(tmp_path, rng):
    pytest.importorskip("matplotlib")
    crn = reduce_crn(compile_network(random_ternary_network((2, 3, 2), rng=rng)))
    svg = plot_crn_graph(crn, tmp_path / "g.svg", title="tiny").read_text()
    for name in ("x0p", "m1_0", "y1n", "tiny", "bimolecular reaction"):
        assert name in svg, name
    assert plot_crn_graph(crn, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    big = compile_network(random_ternary_network((30, 20, 2), rng=np.random.default_rng(0)))
    with pytest.raises(InputDataError, match=r"\d+ species is above the drawing limit of 120"):
        plot_crn_graph(big, tmp_path / "big.png")
    assert not (tmp_path / "big.png").exists()
