"""A periodic report as the document a commune sends upward: the Vietnamese administrative layout
(Decree 30/2020/NĐ-CP on văn thư: issuing body and national motto side by side, number, place and
date, title, "Kính gửi", the body, the signature block), with phocap's numbers in tables and headed
sections left for the officer's own text. One model, rendered as the printable A4 page (a template),
an editable Word file (`to_docx`) and a workbook (`report_tables`): the same content in each.

Documents go upward in Vietnamese, whatever language the officer reads the app in."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from surveys.core.clock import local_now
from surveys.core.exports import Cell, Table
from surveys.core.i18n import N_, gettext, use_locale
from surveys.core.text import xml_safe
from surveys.learning.words import AUDIENCES, HELP_KINDS
from surveys.reporting.history import Standing
from surveys.reporting.learning import LearningFigures
from surveys.reporting.periodic import PRIORITY_GROUPS, Line, PeriodReport, percent
from surveys.reporting.periods import Period

NAMES = {
    "visited": N_("Households visited"),
    "informed": N_("Households informed"),
    "digital_family": N_("Digital families"),
    "covered": N_("Households covered (digital family and identity complete)"),
    "vneid": N_("Citizens 16+ with VNeID"),
    "vneid_level2": N_("Citizens 16+ with VNeID level 2"),
    "bank": N_("Citizens 16+ with a digital bank account"),
    "basic_skills": N_("Citizens 16+ with basic digital skills"),
    "skills_confirmed": N_("Citizens 16+ with digital skills confirmed"),
    "ai_tool": N_("Citizens 16+ able to use at least one AI tool"),
    "seniors_vneid": N_("Citizens 60+ with VNeID"),
    "poor_covered": N_("Poor or near-poor households covered"),
    "elderly_alone_covered": N_("Households of elderly people living alone covered"),
}
SECTIONS = (
    N_("Results"),  # Kết quả thực hiện
    N_("Shortcomings and limitations"),  # Tồn tại, hạn chế
    N_("Direction and tasks ahead"),  # Phương hướng, nhiệm vụ
    N_("Recommendations and proposals"),  # Kiến nghị, đề xuất
)
ROMAN = ("I", "II", "III", "IV")
# Where the officer writes: a dotted line, as printed forms leave it.
BLANK = "…" * 40
# A4 margins of administrative documents (Decree 30/2020/NĐ-CP, appendix I): top and bottom 20-25 mm,
# left 30-35 mm, right 15-20 mm; Times New Roman 13-14 pt.
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 13


@dataclass(frozen=True)
class DocTable:
    """A numbered table of the report: caption, headers, rows; `by_part` when its rows are the area's
    parts (villages, or a province's wards) and their total, a grid read across as well as down."""

    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    by_part: bool = False


@dataclass(frozen=True)
class Section:
    """A headed part of the body: the officer's text (blank lines to fill), then phocap's tables."""

    heading: str
    paragraphs: list[str]
    tables: list[DocTable] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    """The report as a document, every text already in Vietnamese."""

    issuer_above: str
    issuer: str
    motto: tuple[str, str]
    number: str
    place_date: str
    title: str
    subject: str
    period_line: str
    recipient: str
    sections: list[Section]
    recipients_block: list[str]
    signer: tuple[str, str]
    source_note: str


def period_words(period: Period) -> str:
    """`quý III năm 2026`, `6 tháng đầu năm 2026`, `năm 2026`, or the range of days."""
    name = period.name
    year = period.first.year
    if name.endswith(("-Q1", "-Q2", "-Q3", "-Q4")):
        return gettext("quarter %(roman)s of %(year)d") % {"roman": ROMAN[int(name[-1]) - 1], "year": year}
    if name.endswith("-H1"):
        return gettext("the first six months of %(year)d") % {"year": year}
    if name.endswith("-H2"):
        return gettext("the last six months of %(year)d") % {"year": year}
    if name == str(year):
        return gettext("the year %(year)d") % {"year": year}
    return gettext("from %(first)s to %(last)s") % _days(period)


def _days(period: Period) -> dict[str, str]:
    return {"first": period.first.strftime("%d/%m/%Y"), "last": period.last.strftime("%d/%m/%Y")}


def _place(name: str) -> str:
    """`Phong Quang` from `Xã Phong Quang`: the place a document is dated at."""
    for word in ("Xã ", "Phường ", "Đặc khu ", "Tỉnh ", "Thành phố "):
        if name.startswith(word):
            return name[len(word) :]
    return name


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def report_document(report: PeriodReport) -> Document:
    """The report as the document to print or edit, in Vietnamese."""
    with use_locale("vi"):
        return _document(report)


def _document(report: PeriodReport) -> Document:
    if report.area == "ward":
        recipient = gettext(
            "People's Committee of %(province)s (through the Department of Science and Technology)"
        ) % {"province": _lower_first(report.parent_name)}
    else:
        # A province reports to the ministry that leads the movement; the officer may name another.
        recipient = gettext("Ministry of Science and Technology")
    tables = [_figures_table(report), _activity_table(report), _priority_table(report),
              _households_table(report), _citizens_table(report)]  # fmt: skip
    if report.not_started:
        tables.append(_not_started_table(report))
    if report.learning:
        tables.append(_classes_table(report.learning))
    if report.official:
        tables.append(_official_table(report))
    if report.official_by_ward:
        tables.append(_province_official_table(report))
    results = Section(gettext("Results"), [BLANK, BLANK], tables)
    sections = [results] + [Section(gettext(heading), [BLANK, BLANK]) for heading in SECTIONS[1:]]
    return Document(
        issuer_above=gettext("PEOPLE'S COMMITTEE"),
        issuer=report.name.upper(),
        motto=(gettext("SOCIALIST REPUBLIC OF VIETNAM"), gettext("Independence - Freedom - Happiness")),
        number=gettext("No.: …/BC-UBND"),
        place_date=gettext("%(place)s, day … month … %(year)d")
        % {"place": _place(report.name), "year": local_now().year},
        title=gettext("REPORT"),
        subject=gettext('Results of the "Bình dân học vụ số" movement in %(period)s')
        % {"period": period_words(report.period)},
        period_line=gettext("(From %(first)s to %(last)s)") % _days(report.period),
        recipient=gettext("To: %(recipient)s.") % {"recipient": recipient},
        sections=[
            Section(f"{ROMAN[i]}. {s.heading.upper()}", s.paragraphs, s.tables)
            for i, s in enumerate(sections)
        ],
        recipients_block=[gettext("Recipients:"), gettext("- As above;"), gettext("- Filed: Records.")],
        signer=(gettext("ON BEHALF OF THE PEOPLE'S COMMITTEE"), gettext("CHAIRPERSON")),
        source_note=gettext(
            "Figures compiled by phocap from the door-to-door survey records on %(date)s; each figure at the "
            "start and end of the period is read from the visits recorded by then."
        )
        % {"date": local_now().strftime("%d/%m/%Y")},
    )


def _figures_table(report: PeriodReport) -> DocTable:
    headers = [gettext("Indicator"), gettext("Start of period"), gettext("Start %"), gettext("End of period"),
               gettext("Out of"), gettext("End %"), gettext("Change"), gettext("Target %"), gettext("Assessment")]  # fmt: skip
    rows: list[list[Cell]] = []
    for f in report.figures():
        met = "" if f.met is None else gettext("Met") if f.met else gettext("Not met")
        rows.append([gettext(NAMES[f.indicator]), f.start, f.start_percent, f.end, f.end_of, f.end_percent,
                     f.change, f.target, met])  # fmt: skip
    return DocTable(gettext("Table 1. Indicators at the start and end of the period"), headers, rows)


def _official_table(report: PeriodReport) -> DocTable:
    headers = [gettext("Indicator"), gettext("phocap (end of period)"), gettext("Official figure"),
               gettext("Difference"), gettext("Period end"), gettext("Source")]  # fmt: skip
    rows: list[list[Cell]] = [
        [gettext(NAMES.get(f.indicator, SHORT_NAMES.get(f.indicator, f.indicator))), f.end, f.official.value,
         f.difference, f.official.period_end.strftime("%d/%m/%Y"), f.official.source]
        for f in report.figures() if f.official is not None
    ]  # fmt: skip
    for name in ("households", "adults"):
        official = report.official.get(name)
        if official is not None:
            ours = getattr(report.total.end, name)
            rows.append([gettext(SHORT_NAMES[name]), ours, official.value, ours - official.value,
                         official.period_end.strftime("%d/%m/%Y"), official.source])  # fmt: skip
    return DocTable(gettext("Table 7. Official figures beside phocap's"), headers, rows)


def _province_official_table(report: PeriodReport) -> DocTable:
    """Each ward's official figures (as the province entered them) beside phocap's count at the period's
    end, then the province's: each summed over the wards that declared it, phocap's over the same wards."""
    headers = [gettext("Commune/ward"), gettext("Indicator"), gettext("phocap (end of period)"),
               gettext("Official figure"), gettext("Difference"), gettext("Source")]  # fmt: skip
    names = {line.code: line.name for line in report.lines}
    rows: list[list[Cell]] = [
        [names.get(code, code), _short(c.indicator), c.phocap, c.official, c.difference, c.source]
        for code, comparisons in report.official_by_ward.items()
        for c in comparisons
    ]
    rows += [
        [gettext("Whole province (%(n)d communes/wards declared)") % {"n": c.wards}, _short(c.indicator), c.phocap,
         c.official, c.difference, ""]
        for c in report.official_total
    ]  # fmt: skip
    return DocTable(gettext("Table 7. Official figures beside phocap's, by commune/ward"), headers, rows,
                    by_part=True)  # fmt: skip


def _classes_table(f: LearningFigures) -> DocTable:
    """The ward's classes, help and team as its dashboard counts them; the plans ask for at least one
    community class a month in every commune."""
    rows: list[list[Cell]] = []
    for month, held in f.months:
        met = gettext("at least one a month: met") if held else gettext("at least one a month: not met")
        rows.append([gettext("Classes held in %(month)s") % {"month": f"{month[5:]}/{month[:4]}"}, held, met])
    rows.append([gettext("Attendees"), f.attendees, gettext("%(n)d not in the register") % {"n": f.walk_ins}])
    rows += [[gettext("Attendees: %(audience)s") % {"audience": gettext(AUDIENCES.get(a, a))}, n, ""]
             for a, n in sorted(f.by_audience.items())]  # fmt: skip
    rows.append([gettext("Learners of the register"), f.learners, ""])
    rows.append([gettext("Learners able to use an AI tool"), f.learners_ai,
                 gettext("%(p)s%% of the learners") % {"p": _text(percent(f.learners_ai, f.learners))}])  # fmt: skip
    rows.append([gettext("People helped"), f.people_helped, ""])
    rows += [[gettext("Helped: %(kind)s") % {"kind": gettext(HELP_KINDS.get(k, k))}, n, ""]
             for k, n in sorted(f.helped_by_kind.items())]  # fmt: skip
    rows.append([gettext("Team members trained"), f.team_trained,
                 gettext("%(p)s%% of the team (%(n)d)") % {"p": _text(percent(f.team_trained, f.team_members)),
                                                           "n": f.team_members}])  # fmt: skip
    rows.append([gettext("Digital ambassadors with at least 5 learners"), f.ambassadors_with_enough,
                 gettext("out of %(n)d ambassadors") % {"n": f.ambassadors}])  # fmt: skip
    headers = [gettext("Classes, help and the digital team"), gettext("Number"), gettext("Note")]
    return DocTable(gettext("Table 6. Classes, help and the digital team"), headers, rows)


def _not_started_table(report: PeriodReport) -> DocTable:
    """A province's wards with no households in phocap at the period's end: named apart, not as rows
    of zeros in the other tables (the total still holds them, with nothing to add)."""
    rows: list[list[Cell]] = [[line.name, line.code] for line in report.not_started]
    headers = [gettext("Commune/ward"), gettext("Ward code")]
    return DocTable(
        gettext("Table 6. Communes and wards not started (no households in phocap)"), headers, rows
    )


def _part_word(report: PeriodReport) -> str:
    return gettext("Village") if report.area == "ward" else gettext("Commune/ward")


def _activity_table(report: PeriodReport) -> DocTable:
    headers = [_part_word(report), gettext("Visits made"), gettext("Households visited for the first time"),
               gettext("Households newly covered"), gettext("Households no longer covered"),
               gettext("Volunteers active")]  # fmt: skip
    rows: list[list[Cell]] = [
        [line.name, line.activity.visits, line.activity.first_visits, line.activity.newly_covered,
         line.activity.newly_uncovered, line.activity.volunteers]
        for line in [*report.parts, _total_line(report)]
    ]  # fmt: skip
    return DocTable(gettext("Table 2. Activity during the period"), headers, rows, by_part=True)


def _total_line(report: PeriodReport) -> Line:
    total = report.total
    word = gettext("Whole ward") if report.area == "ward" else gettext("Whole province")
    return Line(total.code, word, total.start, total.end, total.activity)


def _priority_table(report: PeriodReport) -> DocTable:
    headers = [gettext("Priority group"), gettext("Start of period"), gettext("Out of"), gettext("End of period"),
               gettext("Out of"), gettext("End %")]  # fmt: skip
    start, end = report.total.start, report.total.end
    rows: list[list[Cell]] = [
        [gettext(NAMES[name]), getattr(start, name), getattr(start, of), getattr(end, name), getattr(end, of),
         percent(getattr(end, name), getattr(end, of))]
        for name, of in PRIORITY_GROUPS
    ]  # fmt: skip
    return DocTable(gettext("Table 3. Priority groups"), headers, rows)


HOUSEHOLD_COLUMNS = ("households", "visited", "informed", "digital_family", "covered")
CITIZEN_COLUMNS = ("adults", "vneid", "vneid_level2", "bank", "basic_skills", "skills_confirmed", "ai_tool")


SHORT_NAMES = {
    "households": N_("Households"),
    "visited": N_("Visited"),
    "informed": N_("Informed"),
    "digital_family": N_("Digital families"),
    "covered": N_("Covered"),
    "adults": N_("Citizens 16+"),
    "vneid": N_("VNeID"),
    "vneid_level2": N_("VNeID level 2"),
    "bank": N_("Digital bank account"),
    "basic_skills": N_("Basic digital skills"),
    "skills_confirmed": N_("Skills confirmed on VNeID"),
    "ai_tool": N_("Uses an AI tool"),
}


def _short(name: str) -> str:
    return gettext(SHORT_NAMES[name])


def _per_part(report: PeriodReport, caption: str, columns: tuple[str, ...]) -> DocTable:
    def cells(standing: Standing) -> list[Cell]:
        return [getattr(standing, c) for c in columns]

    rows: list[list[Cell]] = [[line.name, *cells(line.end)] for line in [*report.parts, _total_line(report)]]
    return DocTable(caption, [_part_word(report), *[_short(c) for c in columns]], rows, by_part=True)


def _households_table(report: PeriodReport) -> DocTable:
    return _per_part(report, gettext("Table 4. Households at the end of the period"), HOUSEHOLD_COLUMNS)


def _citizens_table(report: PeriodReport) -> DocTable:
    return _per_part(report, gettext("Table 5. Citizens 16+ at the end of the period"), CITIZEN_COLUMNS)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")  # Vietnamese decimal comma
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def cell_text(value: Cell) -> str:
    """A table cell as the documents print it (decimal comma, day/month/year, empty for none)."""
    return _text(value)


def report_tables(document: Document, report: PeriodReport) -> list[Table]:
    """The document's tables as workbook sheets (numbers stay numbers), with the report's heading."""
    title = [document.subject, f"{report.name} ({report.code})", document.period_line]
    sheets = [table for section in document.sections for table in section.tables]
    return [Table(title=[*title, t.caption], headers=t.headers, rows=t.rows, sheet=t.caption.split(".")[0])
            for t in sheets]  # fmt: skip


def _font(run: Any, size: int, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    # Word picks the font per script: name it for every script, not only Latin.
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _paragraph(container: Any, text: str, size: int = BODY_PT, *, bold: bool = False, italic: bool = False,
               center: bool = False) -> Any:  # fmt: skip
    paragraph = container.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(xml_safe(text)), size, bold, italic)
    return paragraph


def to_docx(document: Document) -> bytes:
    """The document as an editable Word file: A4 portrait, administrative margins, Times New Roman."""
    doc = new_docx()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)

    heading = doc.add_table(rows=2, cols=2)
    left, right = heading.rows[0].cells
    _cell_lines(left, [(document.issuer_above, False), (document.issuer, True)])
    _cell_lines(right, [(document.motto[0], True), (document.motto[1], True)])
    number, place = heading.rows[1].cells
    _cell_lines(number, [(document.number, False)])
    _cell_lines(place, [(document.place_date, False)], italic=True)

    _paragraph(doc, "")
    _paragraph(doc, document.title, bold=True, center=True)
    _paragraph(doc, document.subject, bold=True, center=True)
    _paragraph(doc, document.period_line, italic=True, center=True)
    _paragraph(doc, document.recipient, center=True)
    for part in document.sections:
        _paragraph(doc, part.heading, bold=True)
        for text in part.paragraphs:
            _paragraph(doc, text)
        for table in part.tables:
            _paragraph(doc, table.caption, TABLE_PT, italic=True)
            _table(doc, table)
    _paragraph(doc, document.source_note, TABLE_PT, italic=True)
    closing = doc.add_table(rows=1, cols=2)
    left, right = closing.rows[0].cells
    _cell_lines(
        left, [(line, i == 0) for i, line in enumerate(document.recipients_block)], size=12, center=False
    )
    _cell_lines(right, [(document.signer[0], True), (document.signer[1], True)])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _cell_lines(cell: Any, lines: list[tuple[str, bool]], size: int = TABLE_PT, italic: bool = False,
                center: bool = True) -> None:  # fmt: skip
    cell.paragraphs[0].text = ""
    for index, (text, bold) in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(paragraph.add_run(xml_safe(text)), size, bold, italic)


def _table(doc: Any, table: DocTable) -> None:
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, table.headers, strict=True):
        _cell_lines(cell, [(text, True)])
    for row, values in zip(grid.rows[1:], table.rows, strict=True):
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            _cell_lines(cell, [(_text(value), False)], center=index > 0)
