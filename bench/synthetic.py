"""Synthetic catalogs for the search benchmark: real-sounding variants of the demo products.

Each product is a demo product's leading words recombined with a brand, a colour, a size or
capacity and a material, so a 100k catalog has realistic vocabulary, near-duplicates and
long posting lists. Deterministic for a given size and seed.
"""

from __future__ import annotations

import random
import re

from actions.search.evaluate import load_demo_catalog
from actions.search.shop_index import ProductText

BRANDS = [
    "Oster",
    "Imusa",
    "Samsung",
    "Kalley",
    "Haceb",
    "Mabe",
    "Xiaomi",
    "Lenovo",
    "HP",
    "JBL",
    "Sony",
    "Logitech",
    "Genius",
    "Kingston",
    "Nike",
    "Adidas",
    "Puma",
    "Totto",
    "Arturo",
    "Calle",
    "Velez",
    "Bosi",
    "Croydon",
    "Esprit",
    "Stanley",
    "Black+Decker",
    "Truper",
    "Colgate",
    "Nivea",
    "Dove",
    "Pedigree",
    "Chunky",
    "Norma",
    "Scribe",
    "Faber-Castell",
    "Casio",
    "Lego",
    "Mattel",
    "Golty",
    "Everlast",
    "Remington",
    "Universal",
    "Corona",
    "Tramontina",
    "Pyrex",
    "Rimax",
    "Vanti",
    "Hogar+",
    "Milano",
]
COLORS = [
    "negro",
    "blanco",
    "gris",
    "azul",
    "rojo",
    "verde",
    "amarillo",
    "rosado",
    "morado",
    "beige",
    "café",
    "naranja",
    "plateado",
    "dorado",
    "turquesa",
    "vinotinto",
]
SIZES = [
    "S",
    "M",
    "L",
    "XL",
    "talla",
    "36",
    "talla",
    "38",
    "talla",
    "40",
    "talla",
    "42",
    "500",
    "ml",
    "1",
    "L",
    "2",
    "L",
    "3",
    "L",
    "5",
    "kg",
    "10",
    "kg",
    "20",
    "cm",
    "30",
    "cm",
    "40",
    "cm",
    "x",
    "2",
    "x",
    "3",
    "x",
    "6",
    "x",
    "12",
    "pequeño",
    "mediano",
    "grande",
    "extra",
    "grande",
    "14",
    "pulgadas",
    "32",
    "pulgadas",
]
MATERIALS = (
    "acero inoxidable",
    "aluminio",
    "plástico",
    "algodón",
    "cuero",
    "madera",
    "vidrio",
    "cerámica",
    "poliéster",
    "caucho",
    "bambú",
    "silicona",
    "lona",
    "nylon",
)
STYLES = ("edición especial", "premium", "básico", "pro", "clásico", "deluxe", "eco", "2027")


def synthetic_catalog(size: int, seed: int = 7) -> list[ProductText]:
    """`size` synthetic products with ids 1..size."""
    rng = random.Random(seed)
    demo = load_demo_catalog()
    out: list[ProductText] = []
    for pid in range(1, size + 1):
        base = demo[rng.randrange(len(demo))]
        head = " ".join(re.split(r"\s+", str(base["nombre"]))[: rng.randint(1, 3)])
        size_word = rng.choice(SIZES)
        name = f"{head} {rng.choice(BRANDS)} {rng.choice(COLORS)} {size_word}"
        if rng.random() < 0.4:
            name += f" {rng.choice(STYLES)}"
        material = rng.choice(MATERIALS)
        description = f"{base['descripcion']} Fabricado en {material}, color {rng.choice(COLORS)}."
        out.append(ProductText(pid, name, str(base["categoria"]), description))
    return out
