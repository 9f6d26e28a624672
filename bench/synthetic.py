"""Deterministic synthetic observatory pages, in the seed's plain-text layout.

Each page has a title and an address, 3–6 paragraphs of 60–150 words drawn from a
digital-policy vocabulary with Zipf-like frequencies (mentioning taxonomy terms,
acronyms and years), list sections of 0–40 "Title (YYYY)" items, and the site's footer.
The same seed always gives the same pages, so runs compare.
"""

from __future__ import annotations

import random
from pathlib import Path

# Ordinary policy prose, most common first: Zipf's law picks early words most often.
COMMON = """
the of and to in a for on with by that is as are be this from at its has an which it
their or was have also policy digital internet data government international national
development security access public information online technology governance rights
states countries global services cooperation framework regulation network protection
private sector law support work new use issues including strategy report infrastructure
member its own community users through between initiative development will other such
economic social more than human standards technical management countries open level
research trade people content platform economy innovation capacity process cyber
mobile broadband programme regional agreement dialogue principles resolution forum
council committee organisation organization participation stakeholders multistakeholder
transparency accountability trust responsibility implementation commitment challenges
opportunities measures policies legal providers companies industry market competition
consumers citizens children women education health communication networks systems
secure privacy personal freedom expression jurisdiction court ruling enforcement
authorities agencies ministers summit conference meeting session workshop panel report
annual guidelines recommendations declaration convention treaty charter toolkit survey
analysis study assessment index indicators statistics monitoring evaluation review
emerging technologies artificial intelligence blockchain cloud computing internet of
things spectrum satellite telecommunications interconnection interoperability domain
names addresses protocol transition encryption spam cybercrime critical resilience
sustainable inclusion divide gender accessibility disabilities multilingualism culture
diversity identity taxation commerce currencies labour future jobs skills literacy
""".split()  # noqa: SIM905 - a paragraph of words reads better than a list of 300

# Phrases and acronyms from the observatory's taxonomy, so tagging has work to do.
TAXONOMY_PHRASES = [
    "artificial intelligence", "cybersecurity", "digital divide", "capacity development",
    "data protection", "freedom of expression", "network neutrality", "e-commerce",
    "critical internet resources", "child online protection", "sustainable development",
    "internet of things", "cloud computing", "intellectual property", "digital identity",
    "content policy", "cybercrime", "encryption", "violent extremism", "consumer protection",
    "gender equality", "persons with disabilities", "digital standards", "blockchain",
    "emerging technologies", "online education", "digital business models", "jurisdiction",
    "standardisation", "radiocommunication", "spectrum", "satellites", "digital inclusion",
]  # fmt: skip
ACRONYMS = [
    "AI", "ITU", "IoT", "ICTs", "WSIS", "IGF", "SDGs", "ICANN", "DNS", "IPv6", "GDPR",
    "OECD", "UNESCO", "WTO", "ITU-T", "ITU-D", "ITU-R", "CERT", "ISP", "5G",
]  # fmt: skip
ORGS = ["Council", "Agency", "Forum", "Institute", "Alliance", "Commission", "Foundation",
        "Organization", "Union", "Network", "Centre", "Partnership", "Observatory"]  # fmt: skip
PLACES = ["Geneva", "Genève", "Brussels", "Paris", "New York", "Nairobi", "Tunis", "Bangkok",
          "Montevideo", "Vienna", "Lausanne", "Zürich", "Dakar", "Singapore"]  # fmt: skip
SECTIONS = ["Resolutions & Declarations", "Other Instruments", "GIP event reports",
            "Other resources"]  # fmt: skip
FOOTER = [
    "The GIP Digital Watch observatory is provided by", "", "in partnership with", "",
    "and members of the GIP Steering Committee", "", "", "GIP Digital Watch is operated by",
    "", "Scroll to Top",
]  # fmt: skip


class PageWriter:
    def __init__(self, seed: int = 2018) -> None:
        self.random = random.Random(seed)
        ranks = range(1, len(COMMON) + 1)
        self.weights = [1 / r**1.07 for r in ranks]

    def words(self, count: int) -> list[str]:
        return self.random.choices(COMMON, weights=self.weights, k=count)

    def sentence(self) -> str:
        words = self.words(self.random.randint(8, 22))
        roll = self.random.random()
        if roll < 0.35:
            words.insert(self.random.randrange(len(words)), self.random.choice(TAXONOMY_PHRASES))
        elif roll < 0.55:
            words.insert(self.random.randrange(len(words)), self.random.choice(ACRONYMS))
        if self.random.random() < 0.15:
            words.append(f"in {self.random.randint(1995, 2024)}")
        if self.random.random() < 0.05:
            number = self.random.randint(1, 200)
            words.append(f"(Resolution {number}/{self.random.randint(2006, 2022)})")
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        target = self.random.randint(60, 150)
        sentences: list[str] = []
        while sum(len(s.split()) for s in sentences) < target:
            sentences.append(self.sentence())
        return " ".join(sentences)

    def item(self) -> str:
        words = self.words(self.random.randint(3, 9))
        if self.random.random() < 0.4:
            words.insert(0, self.random.choice(TAXONOMY_PHRASES + ACRONYMS))
        title = " ".join(w.capitalize() if self.random.random() < 0.4 else w for w in words)
        return f"{title[0].upper()}{title[1:]} ({self.random.randint(2005, 2024)})"

    def page(self, number: int) -> str:
        adjective = self.random.choice(["Global", "Digital", "International", "Regional", "Open"])
        noun = self.random.choice(["Policy", "Cyber", "Internet", "Data", "Technology", "Rights"])
        title = f"{adjective} {noun} {self.random.choice(ORGS)} {number}"
        street = self.random.choice(["des Nations", "du Lac", "de la Paix"])
        address = (
            f"{self.random.randint(1, 99)} Rue {street}, "
            f"{self.random.randint(1000, 9999)} {self.random.choice(PLACES)}, Switzerland"
        )
        lines = [title, "", address, ""]
        for _ in range(self.random.randint(3, 6)):
            lines += [self.paragraph(), ""]
        lines += ["", "", ""]
        for heading in SECTIONS:
            if self.random.random() < 0.45:
                lines += [heading, ""]
                lines += [self.item() for _ in range(self.random.randint(0, 40))]
                lines.append("")
        return "\n".join(lines + FOOTER)


def write_pages(folder: Path, count: int, seed: int = 2018, per_file: int = 1) -> list[Path]:
    """`count` page files; `per_file` pages joined in each make larger files (a large
    segment from fewer files than a build spreads over several processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = PageWriter(seed)
    paths = []
    for number in range(count):
        path = folder / f"page-{number:05}.txt"
        parts = [writer.page(number * per_file + n) for n in range(per_file)]
        path.write_text("\n\n".join(parts), encoding="utf-8")
        paths.append(path)
    return paths
