"""Write data/nlu/variedad.yml: product, name and barrio phrases in many shapes.

Products are never learned from a catalog; the model must learn *where* a product phrase
sits. Hand-written examples alone give too few different product words, so this script
combines WhatsApp-style templates with long lists of product words from other trades
(hardware, garden, music, crafts, auto parts, party, baby, fishing, ...). Edit the lists or
templates, then run (any Python 3):

    python rasa_project/tools/generar_variedad.py

The output is deterministic (fixed seed) and committed, so training stays reproducible.
Never put examples of tests/nlu_test.yml or tests/nlu_dev.yml here
(tests/rasa/test_training_data.py checks it).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "nlu" / "variedad.yml"
HELD_OUT = [
    Path(__file__).resolve().parents[1] / "tests" / name for name in ("nlu_test.yml", "nlu_dev.yml")
]
SEED = 20261122

PRODUCTS = """
alicates de presion|llaves allen|juego de copas|caja de herramientas|pistola de calor
cortafrio|serrucho|segueta|prensa de banco|taladro inalambrico de 20v|tarraja|remachadora
pulidora de 4 pulgadas|disco de corte|broca escalonada|taco fisher|tornillos autoperforantes
soldadura 6013|careta para soldar|guantes de vaqueta|gafas de seguridad|tapabocas n95
manguera de 1/2|aspersor giratorio|semillas de tomate|sustrato para orquideas|fertilizante 15-15
matas de sabila|bulbos de tulipan|azadon|hoz|podadora de altura|tijera de jardin
puas de guitarra|correa para guitarra|cejilla|metronomo|teclado de 61 teclas
bombo legüero|tambora|guiro|cajon flamenco|flauta traversa|partituras
hilo encerado|cuentas de madera|agujas de crochet|lana merino|tela de algodon|entretela|bies
pintura acrilica|pinceles planos|bastidor|pegante de contacto|papel crepe|foamy escarchado
bujia iridium|filtro de aire|liquido de frenos|kit de arrastre|guaya del clutch
manigueta|pito para moto|direccionales led|sillin|parrilla para moto|forro para moto
bombas de latex|letrero de feliz cumpleaños|vela numero 5|gorros de fiesta|cotillon
platos desechables|cubiertos de plastico|caja sorpresa|pinata de dinosaurio
chupo de entretencion|pañitos para bebe|crema antipañalitis|cargador de bebe|coche paseador
tapete de gateo|cojin de lactancia|bañera plegable|sonajero|cobijita de bebe|cuna corral
carrete de pesca|linea trenzada|senuelos|plomadas|nasa|chaleco salvavidas|remos de aluminio
arnes para gato|jaula para hamster|pecera de 20 litros|comida para peces|alpiste
moldes para torta|manga pastelera|boquillas rizadas|colorante en gel|capacillos|batidor de globo
jabon artesanal|esencias aromaticas|cera de soya|mechas para velas|frascos de vidrio
lamina de icopor|cinta doble faz|silicona en barra|regla metalica|bisturi|tabla de corte
lona impermeable|soga de manila|polea|gancho de carga|carretilla de mano|estiba plastica
panel solar|inversor de corriente|controlador de carga|reflector solar|bateria de ciclo profundo
breaker de 20 amperios|tomacorriente doble|interruptor sencillo|caja de paso|tubo conduit
sanitario ahorrador|griferia para lavamanos|sifon|flotador para tanque|llave de paso|teflon
baldosa antideslizante|boquilla gris|pegacor|llana dentada|cortadora de ceramica|nivel laser
carburador|amortiguadores|retenedores|empaques|rodamientos|pernos|arandelas|chazos|grapadora
cincel|mazo|barreta|palustre|plomada|escuadra|compas|estopa|thinner|laca|sellador|masilla
bandola|tiple|requinto|marimba|cununo|quena|zampoña|pandereta|castañuelas|xilofono|ocarina
estambre|macrame|fieltro|abalorios|dijes|broches|ojalillos|remaches|velcro|elastico|encaje
guirnaldas|mascaras|pelucas|confites|bengalas|burbujero|matracas|espantasuegras|cornetas
biberon|babero|chupeta|andadera|mecedora|corral|termometro|aspirador nasal
carnada|boyas|arpones|atarrayas|anzuelos|señuelos|linternas frontales|hieleras|brujulas
bebedero para pollos|comedero para gallinas|bolsas para vivero
soporte para celular de moto|funda para asiento|protector para tanque|cubierta para bicicleta
repuesto para licuadora industrial|cadena para motosierra
estante para herramientas|gancho para bicicleta|organizador para tornillos|base para televisor
kit para tinturar|pintura para tela|marcador para vidrio|pegante para porcelana|tiza para sastre
cepillo para caballo|herradura|montura|cabestro|bozal para perro grande|cascabel para gato
tubos de pvc|carretes de alambre|laminas de triplex|bolsas de cemento|cajas de carton
tiras led para carro|cintas de enmascarar|varillas de hierro|tejas de barro|baldosas de patio
canecas de pintura|bultos de cal|palos de escoba|ganchos de ropa|ruedas para carreta
repuestos para guadañadora|forros para sillas|fundas para cojin|cuerdas para tendedero
tapas para tanque|llaves de jardin|boquillas para manguera|mangos para hacha|hojas de segueta
""".replace("\n", "|")
PRODUCT_LIST = [p.strip() for p in PRODUCTS.split("|") if p.strip()]

# Plural "X de Y" / "X para Y" phrases: the "de" inside a product must stay in the phrase,
# while the "de" after a quantity ("un par de") must not.
MULTI = """
potes de grasa|costales de arena|laminas de zinc|bloques de cemento|cajas de puntillas
tablones de madera|bobinas de lona|tubos de cobre|bolsas de carbon|galones de aceite de linaza
pliegos de lija|cajas de fosforos|paquetes de globos|docenas de claveles|sacos de abono
cuerdas para arpa|fundas para guitarra|bases para matera|ganchos para cuadros|ruedas para silla
espuelas de gallo|semillas de pimenton|plantulas de cafe|estacas de guadua|bultos de concentrado
tapetes de caucho|cortinas de baño|tiras de velcro|pinzas de ropa|cintas de regalo
bomba de agua|filtro de agua|pistola de aire|luz de techo|extractor de cocina|reloj de pared
cargador de carro|sierra de mano|taladro de banco|cortina de ducha|tapete de entrada
soporte de pared|lampara de techo|llave de agua|calentador de agua|silla de playa
""".replace("\n", "|")
MULTI_LIST = [p.strip() for p in MULTI.split("|") if p.strip()]

# Product phrases are often a head noun followed by what the shopper cares about: a brand,
# a size, a colour, a model number, "para X". The model must keep those words in the phrase
# (and not read a size like "de 64" or "etapa 3" as a quantity).
# Each line: head nouns of one trade | modifiers shoppers add to them.
HEADS = """
audifonos inalambricos, parlantes, bafles, microfonos, controles, memorias sd, cables usb,
adaptadores, forros para celular, vidrios templados, baterias externas
| bluetooth, tipo c, de 64, de 128 gb, de 2 metros, samsung, xiaomi, originales, negros, hd,
para iphone, para play 5, de 10000 mah, economicos, led
;
zapatillas, botas de caucho, chanclas de playa, medias deportivas, licras, uniformes, camisetas
| talla 40, talla m, talla 12, nike, adidas, negras, azules, de algodon, impermeables,
de la seleccion, para niño, para niña, originales, baratas
;
teteros, pañaleras, coches, cunas, moises, juguetes didacticos, carritos, muñecos, legos,
pañitos humedos
| anticolicos, para bebe, de frozen, de spiderman, de star wars, etapa 3, etapa 4, x 12,
a control remoto, de madera, grandes, pequeños, de silicona, rosados
;
shampoo, acondicionador, tintes, esmaltes, labiales, bases de maquillaje, cremas, perfumes
| anticaspa, de 1 litro, x 400 ml, rojos, mate, originales, para cabello rizado, sin sal,
economicos, de vainilla
;
arena para gato, collares, camas para perro, rascadores, juguetes para perro, bebederos
| dog chow, pro plan, de 8 kilos, de 20 kilos, antipulgas, grandes, pequeños, para gato,
para perro grande, de acero, con cascabel
;
cuadernos, colores, resaltadores, carpetas, temperas, pinceles, borradores, compases
| norma, faber castell, pelikan, de 100 hojas, cuadriculados, x 12, x 24, argollados,
de nata, de colores, pal colegio, escolares
;
ollas, sartenes, hervidores, batidoras, cafeteras, ventiladores, planchas para ropa
| oster, imusa, kalley, haceb, antiadherentes, de acero, de 5 litros, de pie, de mesa,
electricos, grandes, de 3 velocidades
;
bicicletas, rodilleras, balones, raquetas, pesas, lazos para saltar, petos
| rin 26, numero 5, de 5 kilos, de futbol, de voleibol, profesionales, para niño, golty,
de ping pong, de neopreno, azules
;
llantas, bujias, pastillas de freno, aceites, filtros, baterias para moto, exploradoras
| 20w50, 10w40, rin 15, para pulsar 200, para bws, para boxer, ngk, originales, delanteras,
traseras, led, de 12 voltios
"""
TRADES = [
    (
        [h.strip() for h in heads.split(",") if h.strip()],
        [m.strip() for m in mods.split(",") if m.strip()],
    )
    for heads, mods in (block.split("|") for block in HEADS.split(";"))
]


def _composed(rng: random.Random, n: int) -> list[str]:
    """n distinct "head modifier" product phrases of the same trade."""
    phrases: list[str] = []
    while len(phrases) < n:
        heads, mods = rng.choice(TRADES)
        phrase = f"{rng.choice(heads)} {rng.choice(mods)}"
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


# Words that follow a product phrase but are not part of it.
AFTER = [
    ", talla {s}", " pa navidad", " pa regalar", ", q marcas tienen?", ", de q colores?",
    " y a como?", " xfa", " porfa", ", cuanto valen?", ", es urgente", " pal colegio",
    " pa la casa", " que me falta", ", cual me recomiendas?", " 🙏", " 😊", ", los que sean",
]  # fmt: skip

CATEGORIES = [
    "ferreteria", "jardineria", "musica", "manualidades", "repuestos", "fiestas", "bebes",
    "pesca", "reposteria", "electricidad", "plomeria", "construccion", "energia solar",
    "mascotas", "herramientas electricas", "herramientas", "carpinteria", "pintura",
    "agricultura", "ganaderia", "costura", "instrumentos de viento", "accesorios para moto",
    "electrodomesticos", "cocina", "juguetes", "deportes", "cuidado personal", "aseo",
    "papeleria", "tecnologia", "hogar", "ropa", "calzado", "belleza", "maquillaje", "ciclismo",
    "accesorios para celular", "bebidas", "utiles escolares", "decoracion", "iluminacion",
    "camping", "gimnasio", "cuidado del bebe", "lenceria", "cacharreria", "navidad",
]  # fmt: skip

QUANTITIES = [
    "2", "3", "4", "5", "6", "10", "12", "20", "dos", "tres", "cuatro", "cinco", "seis",
    "diez", "un par", "media docena", "una docena",
]  # fmt: skip

ASK = [
    "tienen [{p}](producto)?", "tienen [{p}](producto)", "hola, tienen [{p}](producto)?",
    "buenas tienen [{p}](producto)", "venden [{p}](producto)?", "ustedes venden [{p}](producto)",
    "hay [{p}](producto)?", "todavia hay [{p}](producto)", "les queda [{p}](producto)?",
    "manejan [{p}](producto)?", "tendran [{p}](producto)?", "tienes [{p}](producto)?",
    "cuanto vale el [{p}](producto)", "cuanto vale la [{p}](producto)?",
    "cuanto valen los [{p}](producto)", "cuanto cuesta el [{p}](producto)",
    "cuanto cuestan las [{p}](producto)?", "q precio tiene el [{p}](producto)",
    "que precio tiene la [{p}](producto)", "precio de [{p}](producto) xfa",
    "a como tienen el [{p}](producto)", "a como tienen las [{p}](producto)?",
    "a como esta la [{p}](producto)", "en cuanto tienen el [{p}](producto)",
    "busco [{p}](producto)", "estoy buscando [{p}](producto)",
    "necesito saber si tienen [{p}](producto)", "me interesa el [{p}](producto), hay?",
    "y el [{p}](producto)?", "y la [{p}](producto) cuanto?",
    "hola buenas tardes, queria preguntar si tienen [{p}](producto) y a como",
    "parce hay [{p}](producto)?", "wey tienen [{p}](producto)?", "che, tienen [{p}](producto)?",
    "disculpa, tienen [{p}](producto) disponible?", "kiero saber el precio del [{p}](producto)",
    "info del [{p}](producto) porfa", "tienen [{p}](producto) o [{q}](producto)?",
]  # fmt: skip

ASK_CATEGORY = [
    "que tienen de [{c}](categoria)?", "que hay en [{c}](categoria)",
    "muestrame lo de [{c}](categoria)", "tienen cosas de [{c}](categoria)?",
    "que productos de [{c}](categoria) manejan", "que venden en [{c}](categoria)?",
    "que tienes de [{c}](categoria)", "y de [{c}](categoria) que hay?",
    "hola, que tienen de [{c}](categoria)", "q tienen en [{c}](categoria)?",
    "que manejan de [{c}](categoria)?", "muestrame algo de [{c}](categoria)",
    "que cosas de [{c}](categoria) tienen", "en [{c}](categoria) que tienen?",
    "buenas, que hay de [{c}](categoria) pa regalar", "quiero ver lo de [{c}](categoria)",
    "tienen seccion de [{c}](categoria)?", "que opciones tienen en [{c}](categoria)",
    "mandame el catalogo de [{c}](categoria)", "que tienen de [{c}](categoria) y a como",
]  # fmt: skip

BUY = [
    "quiero [{n}](cantidad) [{p}](producto)", "quiero el [{p}](producto)",
    "quiero la [{p}](producto)", "dame [{n}](cantidad) [{p}](producto)",
    "me llevo [{n}](cantidad) [{p}](producto)", "me llevo el [{p}](producto)",
    "agregame [{n}](cantidad) [{p}](producto)", "agregame la [{p}](producto)",
    "ponme [{n}](cantidad) [{p}](producto)", "mandame [{n}](cantidad) [{p}](producto)",
    "regalame [{n}](cantidad) [{p}](producto)", "me vendes [{n}](cantidad) [{p}](producto)?",
    "necesito [{n}](cantidad) [{p}](producto)", "separame [{n}](cantidad) [{p}](producto)",
    "kiero [{n}](cantidad) [{p}](producto) porfa", "quiero comprar [{n}](cantidad) [{p}](producto)",
    "listo, me llevo [{n}](cantidad) [{p}](producto)", "anotame [{n}](cantidad) [{p}](producto)",
    "dame [{n}](cantidad) [{p}](producto) y [{m}](cantidad) [{q}](producto)",
    "quiero [{n}](cantidad) de [{p}](producto)", "[{n}](cantidad) de [{p}](producto)",
    "[{n}](cantidad) [{p}](producto) porfa", "y [{n}](cantidad) de [{p}](producto)",
]  # fmt: skip

REMOVE = [
    "quita el [{p}](producto)", "quitame la [{p}](producto)", "saca los [{p}](producto)",
    "borra el [{p}](producto) del pedido", "ya no quiero el [{p}](producto)",
    "elimina la [{p}](producto)", "mejor sin el [{p}](producto)",
    "cambia el [{p}](producto) a [{n}](cantidad)", "deja el [{p}](producto) en [{n}](cantidad)",
    "que sean [{n}](cantidad) [{p}](producto) nada mas",
    "cambia los [{p}](producto) a [{n}](cantidad)",
    "reduce las [{p}](producto) a [{n}](cantidad)", "baja el [{p}](producto) a [{n}](cantidad)",
    "mejor solo [{n}](cantidad) [{p}](producto)", "sacame el [{p}](producto) del carrito",
]  # fmt: skip

FIRST = [
    "Adriana", "Beatriz", "Cristian", "Dayana", "Esteban", "Fabian", "Gloria", "Hector",
    "Ingrid", "Jaime", "Karen", "Lorena", "Manuel", "Nelson", "Olga", "Patricia", "Ramiro",
    "Sandra", "Tatiana", "Ulises", "Veronica", "Yesenia", "Zoraida", "jhonatan", "marisol",
    "duvan", "estefania", "brayan", "luz dary", "maria camila", "juan david", "ana lucia",
    "Alejandra", "Bernardo", "Catalina", "Diego", "Elkin", "Francisco", "Gustavo", "Isabella",
    "Jennifer", "Leonardo", "Mauricio", "Natalia", "Orlando", "Pilar", "Rocio", "Sergio",
    "Valeria", "Wilmer", "Yolanda", "camilo", "daniela", "felipe", "jorge", "lina", "oscar",
    "Maria del Pilar", "Jose Manuel", "Luis Alberto", "Carlos Arturo", "Martha Lucia",
    # the most common given names of recent years across Latin America
    "Mateo", "Santiago", "Sebastian", "Matias", "Samuel", "Emiliano", "Nicolas", "Benjamin",
    "Sofia", "Mariana", "Luciana", "Juliana", "Martina", "Sara", "Antonella", "Salome",
    "emmanuel", "thiago", "jeronimo", "isabela", "gabriela", "mateo", "sofia",
]  # fmt: skip
LAST = [
    "Acosta", "Bermudez", "Cano", "Diaz", "Estrada", "Franco", "Giraldo", "Hoyos", "Jaramillo",
    "Londoño", "Moreno", "Nieto", "Orozco", "Parra", "Quiroga", "Salcedo", "Tobon", "Uribe",
    "Velez", "Zuluaga", "garcia", "rojas", "munoz", "agudelo", "betancur", "carvajal",
    "Arango", "Bedoya", "Castro", "Duarte", "Escobar", "Fonseca", "Guerrero", "Herrera",
    "Ibañez", "Leon", "Mendoza", "Navarro", "Ochoa", "Pardo", "Ramirez", "Sanchez", "Torres",
    "Valencia", "Yepes", "mejia", "gomez", "castaño", "ospina", "restrepo", "cardona",
]  # fmt: skip
NAME = [
    "me llamo [{x}](nombre)", "mi nombre es [{x}](nombre)", "soy [{x}](nombre)",
    "[{x}](nombre)", "a nombre de [{x}](nombre)", "el nombre es [{x}](nombre)",
]  # fmt: skip
BARRIOS = [
    "Las Acacias", "El Tesoro", "Buenos Aires", "Santa Monica", "La Castellana", "El Carmen",
    "Villa Hermosa", "Los Pinos", "Prado Centro", "La America", "Boston", "Castilla",
    "Robledo", "El Bosque", "San Cristobal", "La Estrella", "Modelia", "Cedritos",
    "Aranjuez", "Belen", "Campo Valdes", "Doce de Octubre", "Envigado Centro", "Galerias",
    "Hayuelos", "Ismael Perdomo", "Kennedy Central", "La Soledad", "Marsella", "Normandia",
    "Olaya", "Pablo VI", "Restrepo", "Suba Rincon", "Timiza", "Usaquen", "Villa Luz",
    "el jardin", "la primavera", "los colores", "san joaquin", "las palmas", "el dorado",
    "Colonia Juarez", "Colonia del Valle", "Villa Crespo", "Caballito", "Miraflores", "Surco",
    "Libertadores", "Comuneros", "Fundadores", "Pensilvania", "Alcazares", "Americas",
    "Estadio", "Florencia", "Bachue", "Tibabuyes", "San Luis", "San Martin", "Santa Lucia",
    "San Pedro", "Santa Ana", "Villa Maria", "La Francia", "Simon Bolivar", "Antonio Nariño",
]  # fmt: skip
BARRIO = [
    "barrio [{b}](barrio)", "en el barrio [{b}](barrio)", "vivo en el barrio [{b}](barrio)",
    "barrio [{b}](barrio) porfa", "el barrio es [{b}](barrio)", "barrio: [{b}](barrio)",
]  # fmt: skip


def _fill(rng: random.Random, template: str, products: list[str] | None = None) -> str:
    p, q = rng.sample(products or PRODUCT_LIST, 2)
    return template.format(
        p=p, q=q, n=rng.choice(QUANTITIES), m=rng.choice(QUANTITIES), c=rng.choice(CATEGORIES)
    )


def _name(rng: random.Random) -> str:
    parts = [rng.choice(FIRST), rng.choice(LAST)]
    if rng.random() < 0.4:
        parts.append(rng.choice(LAST))
    name = " ".join(parts)
    return name.lower() if rng.random() < 0.4 else name


def _case(rng: random.Random, text: str) -> str:
    return text.lower() if rng.random() < 0.4 else text


def _plain(example: str) -> str:
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", example).strip().lower()


def _block(intent: str, examples: list[str]) -> str:
    lines = "\n".join(f"      - {e}" for e in dict.fromkeys(examples))
    return f"  - intent: {intent}\n    examples: |\n{lines}\n"


def generate() -> str:
    """The YAML text of data/nlu/variedad.yml."""
    rng = random.Random(SEED)
    ask = [_fill(rng, t) for t in ASK for _ in range(2)]
    ask += [_fill(rng, t) for t in ASK_CATEGORY for _ in range(2)]
    buy = [_fill(rng, t) for t in BUY for _ in range(3)]
    remove = [_fill(rng, t) for t in REMOVE for _ in range(3)]
    ask += [_fill(rng, t, MULTI_LIST) for t in ASK]
    buy += [_fill(rng, t, MULTI_LIST) for t in BUY for _ in range(2)]
    remove += [_fill(rng, t, MULTI_LIST) for t in REMOVE]
    composed = _composed(rng, 300)
    ask += [_fill(rng, t, composed) for t in ASK for _ in range(2)]
    buy += [_fill(rng, t, composed) for t in BUY for _ in range(2)]
    remove += [_fill(rng, t, composed) for t in REMOVE for _ in range(2)]
    # A product phrase ends where the shopper's comment starts.
    for lst, templates in ((ask, ASK[:30]), (buy, BUY[:18])):
        for t in rng.sample(templates, 15):
            after = rng.choice(AFTER).format(s=rng.choice(["38", "40", "m", "xl", "10"]))
            lst.append(_fill(rng, t, composed).rstrip("?") + after)
    # One spelling per name: Rasa's EntitySynonymMapper would otherwise map "mateo arango"
    # to another example's "mateo Arango".
    names = list({n.lower(): n for n in (_name(rng) for _ in range(90))}.values())
    data = [rng.choice(NAME).format(x=name) for name in names]
    data += [rng.choice(BARRIO).format(b=_case(rng, b)) for b in BARRIOS]
    # Never train on a held-out example: the held-out scores must measure generalisation.
    held_out = {
        _plain(e) for path in HELD_OUT for e in re.findall(r"^\s+- (.+)$", path.read_text(), re.M)
    }
    ask, buy, remove, data = (
        [e for e in lst if _plain(e) not in held_out] for lst in (ask, buy, remove, data)
    )
    header = (
        "# GENERATED by rasa_project/tools/generar_variedad.py: edit the script, not this file.\n"
        "# Many different product words, names and barrios in WhatsApp-style templates.\n"
        'version: "3.1"\n\nnlu:\n'
    )
    blocks = [
        _block("consultar_inventario", ask),
        _block("comprar", buy),
        _block("quitar_producto", remove),
        _block("informar_datos", data),
    ]
    return header + "\n".join(blocks)


if __name__ == "__main__":
    OUT.write_text(generate())
    print(f"wrote {OUT}")
