"""Generate the bundled synthetic residents of the offline Dukcapil adapter.

Usage::

    python scripts/make_residents.py            # rewrite the packaged CSV
    python scripts/make_residents.py --check    # exit 1 if the CSV is out of date

Every person written here is **fictional**: names are drawn at random from
the pools below (given names and family names typical of each region's
peoples), districts from the packaged Kemendagri codes
(:mod:`siapkerja_core.regions`), birth dates and serials from a seeded
:class:`random.Random`, so the output is the same on every run. Any
resemblance to a real person is coincidental.

What the set covers, so that demos and tests have something to work with:

* every one of the 38 provinces, :data:`PER_PROVINCE` people each, with names
  that fit the region (Acehnese, Batak, Minang, Malay, Javanese, Sundanese,
  Betawi, Madurese, Balinese, Sasak, NTT, Dayak, Banjar, Bugis, Buton,
  Minahasa, Gorontalo, Kaili, Moluccan, North Moluccan, Papuan,
  Chinese-Indonesian and Arab-Indonesian names);
* residents whose NIK carries a **retired** code (Kabupaten Merauke ``9101``
  before Papua Selatan, Kota Sorong ``9271`` before Papua Barat Daya, …);
* both sexes, birth years 1950–2007, and the "unknown birth date" conventions
  01-07 and 31-12 (and the 15th of a known month);
* stored names with titles and degrees ("H. Ahmad Fauzi", "Hj. Siti Rahmah",
  "…, S.Pd.") and the spellings of Muhammad ("M.", "Moh.", "Mochamad", …);
* a few inactive residents (``active`` = ``false``);
* the brief's sample person, Galih Agan Pambayun of Palmerah, Jakarta Barat.

The output has the header ``nik,full_name,mother_name,birth_place,birth_date,sex,active``
and is sorted by NIK.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from siapkerja_core import regions  # noqa: E402  (after the path set-up above)
from siapkerja_core.nik import compose_nik, parse_nik  # noqa: E402

TARGET = ROOT / "src" / "siapkerja_adapters" / "data" / "residents.csv"
HEADER = ("nik", "full_name", "mother_name", "birth_place", "birth_date", "sex", "active")
SEED = 20251127
PER_PROVINCE = 6
INACTIVE = 6  # randomly chosen generated residents marked inactive


# --- name pools -------------------------------------------------------------------------


def _names(text: str) -> tuple[str, ...]:
    """Split a ``|``-separated list of names (an empty item is an empty name part)."""
    return tuple(text.split("|"))


@dataclass(frozen=True)
class Pool:
    """Names of one people: given names in two parts, family names, customs.

    A name is ``first`` + ``second`` (either may be empty) + a family name
    with probability ``family_rate``. ``muslim`` pools may carry the Haji
    titles; ``batak`` mothers are written with ``br`` (boru) before the clan.
    Name lists are written ``"A|B|C"`` to keep this file short.
    """

    male_first: tuple[str, ...]
    male_second: tuple[str, ...]
    female_first: tuple[str, ...]
    female_second: tuple[str, ...]
    family: tuple[str, ...] = ()
    family_rate: float = 0.0
    muslim: bool = False
    batak: bool = False


ACEH = Pool(
    male_first=_names("Teuku|Muhammad|Zulfikar|Rizki|Khairul|Mukhlis|Fauzan|Said"),
    male_second=_names("Iqbal|Fadhil|Maulana|Anwar|Nazar|Husaini|Ramadhan|Syahputra"),
    female_first=_names("Cut|Nurul|Ainul|Safrina|Fitriani|Rahmah|Nurhayati|Cut Nyak"),
    female_second=_names("Aini|Mardhiah|Fitri|Zahara|Meutia|Husna|Ulfa|"),
    muslim=True,
)
BATAK = Pool(
    male_first=_names("Togar|Parlindungan|Horas|Bonar|Sahat|Daniel|Johannes|Ronald"),
    male_second=_names("||Maruli|Tua|Halomoan|Pardamean|Sabar|Hotman"),
    female_first=_names("Romauli|Rosmawati|Lasma|Debora|Tiurma|Sondang|Maria|Rugun"),
    female_second=_names("||Uli|Natalia|Sari|Marlina|Hotnida|Ida"),
    family=_names(
        "Simanjuntak|Siregar|Hutapea|Sitompul|Situmorang|Sinaga|Pardede|Panjaitan|Manurung|"
        "Nainggolan|Simatupang|Tambunan"
    ),
    family_rate=1.0,
    batak=True,
)
MANDAILING = Pool(
    male_first=_names("Ahmad|Muhammad|Syahrul|Irwan|Rahmat|Hasan"),
    male_second=_names("Rizal|Hidayat|Efendi|Basri|Saleh|Fadli"),
    female_first=_names("Nur|Siti|Rahmi|Fitri|Dewi|Lely"),
    female_second=_names("Aisyah|Hasanah|Handayani|Sari|Wahyuni|Zulaikha"),
    family=_names("Nasution|Lubis|Harahap|Hasibuan|Daulay|Pulungan|Rangkuti"),
    family_rate=1.0,
    muslim=True,
    batak=True,
)
MINANG = Pool(
    male_first=_names("Rizal|Afrizal|Syahrul|Yusrizal|Zulkarnain|Hendra|Fadli|Irwan"),
    male_second=_names("Efendi|Putra|Syafri|Amir|Yunus|Marzuki|Saputra|"),
    female_first=_names("Yusnidar|Rahmi|Nurhasanah|Yulia|Desriani|Fitri|Elfi|Rosnaini"),
    female_second=_names("|Handayani|Yanti|Roza|Novita|Sari|Murni|Wati"),
    family=_names("Chaniago|Piliang|Koto|Tanjung|Sikumbang|Jambak|Caniago"),
    family_rate=0.3,
    muslim=True,
)
MELAYU = Pool(
    male_first=_names("Syamsul|Azhar|Zainal|Hasan|Tengku|Said|Rahmat|Raja"),
    male_second=_names("Bahri|Abidin|Basri|Hidayat|Amir|Husin|Effendi|Iskandar"),
    female_first=_names("Siti|Nurul|Wan|Zubaidah|Fatimah|Halimah|Rosmiati|Juliana"),
    female_second=_names("Aisyah|Huda|Nurlela||Zahra|Mariam||Safitri"),
    muslim=True,
)
PALEMBANG = Pool(
    male_first=_names("Kemas|Masagus|Ahmad|Muhammad|Rudi|Hendra|Raden|Firdaus"),
    male_second=_names("Ali|Syarifuddin|Hamzah|Yusuf|Hartono|Fikri|Husin|Romli"),
    female_first=_names("Nyimas|Siti|Yulia|Rita|Masayu|Erna|Dewi|Lena"),
    female_second=_names("Zuraida|Komariah|Fitriani|Wulandari|Hayati|Susanti||"),
    muslim=True,
)
LAMPUNG = Pool(
    male_first=_names("Hipni|Rusli|Syahbudin|Ansori|Mukhlis|Firmansyah|Herman|Sutan"),
    male_second=_names("|Hakim|Zulkifli|Marzuki|Rahman|Sanjaya|Gelar|Alamsyah"),
    female_first=_names("Nurhasanah|Suryani|Rosidah|Lela|Marlina|Herawati|Sofia|Yusnani"),
    female_second=_names("||Sari|Wati|Aryani|Puspita||Fitri"),
    muslim=True,
)
JAVANESE = Pool(
    male_first=_names(
        "Agus|Budi|Bambang|Joko|Eko|Slamet|Wahyu|Hadi|Teguh|Sigit|Bayu|Heru|Mochamad|Muhammad|Moh.|"
        "M.|Dwi|Tri"
    ),
    male_second=_names(
        "Santoso|Setiawan|Prasetyo|Nugroho|Purnomo|Wibowo|Susanto|Hartono|Saputro|Kurniawan|Wijaya|"
        "Pamungkas|Riyadi|Sutrisno|"
    ),
    female_first=_names(
        "Sri|Endang|Dwi|Tri|Rina|Ratna|Wulan|Dewi|Ayu|Siti|Retno|Kartika|Sulastri|Sumiati"
    ),
    female_second=_names(
        "Wahyuni|Lestari|Rahayu|Handayani|Kusumawati|Sulistyowati|Purwanti|Astuti|Utami|Pertiwi|"
        "Anggraini|Mulyani|"
    ),
    muslim=True,
)
SUNDANESE = Pool(
    male_first=_names("Asep|Ujang|Dadang|Cecep|Deden|Engkus|Iwan|Ade|Yayan|Dede"),
    male_second=_names(
        "Sunarya|Hidayat|Saepudin|Permana|Kurnia|Supriatna|Gunawan|Ruhiyat|Mulyana|Suhendar"
    ),
    female_first=_names("Euis|Neneng|Imas|Lilis|Nining|Yuyun|Cucu|Tati|Elis|Rini"),
    female_second=_names(
        "Rohaeti|Suryani|Nurhayati|Komalasari|Kurniasih|Maryati|Sumiati|Rosita|Yulianti|"
    ),
    muslim=True,
)
BETAWI = Pool(
    male_first=_names("Rojali|Mamat|Sabeni|Mochtar|Ridwan|Hasbullah|Muhamad|Jaelani"),
    male_second=_names("|Saputra|Efendi|Husein|Rahman|Syarif|Nawawi|Arsyad"),
    female_first=_names("Rohaya|Maemunah|Saodah|Nur|Zaenab|Mardiyah|Romlah|Fitri"),
    female_second=_names("||Aini|Hasanah|Rahmawati|Lestari|Jannah|"),
    muslim=True,
)
MADURESE = Pool(
    male_first=_names("Moh.|Abd.|Hasan|Marzuki|Fathor|Bahrul|Achmad|Mohammad"),
    male_second=_names("Hosen|Rahem|Basri||Rahman|Ulum|Zaini|Sahri"),
    female_first=_names("Sitti|Munawaroh|Holifah|Rukayah|Suhaimah|Hosniyah|Nurul|Siti"),
    female_second=_names("Maimunah||||||Qomariyah|Aisyah"),
    muslim=True,
)
ARAB = Pool(
    male_first=_names("Husein|Ali|Umar|Salim|Ahmad|Muhammad|Abdullah|Hasan"),
    male_second=_names("|Zein|Hamid|Mahdi|Said|Ridho||Fuad"),
    female_first=_names("Fatimah|Khadijah|Syarifah|Aisyah|Zahra|Nur|Salma|Maryam"),
    female_second=_names("||Nur|Hana||Laila||Zainab"),
    family=_names("Alatas|Assegaf|Alhabsyi|Bafadhal|Shahab|Alkaff|Bawazier|Basalamah"),
    family_rate=1.0,
    muslim=True,
)
ALJUFRI = Pool(  # Arab families of Palu (Central Sulawesi)
    male_first=_names("Husein|Ali|Umar|Salim|Ahmad|Muhammad|Abdullah|Hasan"),
    male_second=_names("|Zein|Hamid|Mahdi|Said|Ridho||Fuad"),
    female_first=_names("Fatimah|Khadijah|Syarifah|Aisyah|Zahra|Nur|Salma|Maryam"),
    female_second=_names("||Nur|Hana||Laila||Zainab"),
    family=_names("Aljufri|Al Habsyi|Assegaf|Alamri"),
    family_rate=1.0,
    muslim=True,
)
CHINESE = Pool(  # Chinese-Indonesians with an Indonesian-style name
    male_first=_names("Hendra|Kevin|Andreas|Wilson|Jonathan|Steven|Felix|Hengky|Suwandi|Budi"),
    male_second=_names("|||||Setiawan|Kurniawan|Tanoto"),
    female_first=_names("Jessica|Melinda|Susanti|Lily|Veronica|Yenny|Lanny|Meliana"),
    female_second=_names("||||Angelina|Sari|"),
    family=_names("Wijaya|Halim|Gunawan|Tanuwijaya|Kusuma|Salim|Santoso|Sugianto"),
    family_rate=0.8,
)
HAKKA = Pool(  # Chinese-Indonesians with the clan name first (Hakka, Hokkien spellings)
    male_first=_names("Tjhin|Bong|Lie|Phang|Oey|Tan|Liem|Thio|Njoo"),
    male_second=_names("Fui Khiong|Kim Liong|Tjoen Fa|Siong Hin|Hok An|Khim Fat"),
    female_first=_names("Tjhin|Bong|Lie|Phang|Oey|Tan|Liem|Thio|Njoo"),
    female_second=_names("Mei Ling|Siu Lan|Lian Hwa|Fung Moy|Kiem Nio|Sui Fong"),
)
BALINESE = Pool(
    male_first=_names("I Wayan|I Made|I Nyoman|I Ketut|I Putu|I Kadek|I Komang|I Gede"),
    male_second=_names("Sudarsana|Suarjana|Artawan|Budiarta|Adnyana|Sukerta|Wirawan|Mahendra"),
    female_first=_names("Ni Wayan|Ni Made|Ni Nyoman|Ni Ketut|Ni Putu|Ni Luh|Ni Kadek|Ni Komang"),
    female_second=_names("Sukarini|Sriasih|Ariani|Suartini|Widiastuti|Ayu Puspita|Mariani|Sumerti"),
)
SASAK = Pool(
    male_first=_names("Lalu|Muhammad|Zulkifli|Abdul|Syafrudin|Baharudin|Lalu Ahmad|Amir"),
    male_second=_names("Sudirman|Zaini||Hafiz|Saleh|Hamdi|Jayadi|Mahsun"),
    female_first=_names("Baiq|Sri|Nurul|Hairunnisa|Siti|Rabiatul|Baiq Nurul|Mariani"),
    female_second=_names("Rina|Hartini|Hidayah||Hajar|Adawiyah|Aini|Sahnun"),
    muslim=True,
)
NTT = Pool(
    male_first=_names("Yohanes|Fransiskus|Petrus|Agustinus|Marselinus|Yosef|Alfons|Blasius"),
    male_second=_names("|Xaverius|Paulus|Don Bosco||Kristoforus|Laurensius|"),
    female_first=_names("Maria|Theresia|Yuliana|Margaretha|Fransiska|Bernadeta|Agnes"),
    female_second=_names("|Goreti|Imakulata||Yasinta|Oktaviana|"),
    family=_names(
        "Ndun|Ratu|Manafe|Nggadas|Tefa|Boli|Lake|Bere|Kewuan|Sogen|Nalle|Tanaem|Djawa|Lejap"
    ),
    family_rate=1.0,
)
DAYAK = Pool(
    male_first=_names("Yohanes|Agustinus|Markus|Yansen|Sabran|Rinto|Lukas|Paulus"),
    male_second=_names("||Tingang|Ahen||Anyam||Jalung"),
    female_first=_names("Christina|Natalia|Lidia|Yuliana|Imelda|Desi|Agustina|Elisabeth"),
    female_second=_names("|||Ratna|||Sari|"),
    family=_names("Bilung|Usat|Ngau|Lawing|Ajang|Dohong|Jaga|Anyau"),
    family_rate=0.6,
)
BANJAR = Pool(
    male_first=_names("Muhammad|Gusti|Syahrani|Ahmad|Fahrurrazi|Husin|Abdul|Rusdiansyah"),
    male_second=_names("Ramli|Rahmat|Jailani|Karim||Noor|Hadi|Arifin"),
    female_first=_names("Rusmilawati|Siti|Hairiyah|Nor|Fatmawati|Mahrita|Gusti|Norhayati"),
    female_second=_names("|Rahmah||Aida|||Nurlaila|Jannah"),
    muslim=True,
)
BUGIS = Pool(
    male_first=_names(
        "Andi|Syamsuddin|Muhammad|Arifuddin|Hasanuddin|Zainuddin|Nurdin|Irwan|Muh.|Baso"
    ),
    male_second=_names("Arief|Baso|Ikhsan||Rahman|Saputra|Tahir|Amiruddin|Fajar"),
    female_first=_names(
        "Andi|Hasnawati|Nurhayati|Rosdiana|Nurjannah|Hasriani|Sitti|Kasmawati|Rahmawati"
    ),
    female_second=_names("Nurhaedah|||Aminah|Hajerah|Tenri||Ramlah"),
    muslim=True,
)
SULTRA = Pool(
    male_first=_names("La Ode|La|La Ode Muhammad|Ruslan|Hasrul|Amiruddin|Sahrul|Jumadil"),
    male_second=_names("Syarif|Sudi|Rusli|Taufik|Lapadu||Hamid|Mansyur"),
    female_first=_names("Wa Ode|Wa|Wa Ode Sitti|Nurlin|Hasmiati|Sartini|Rosmini|Marlina"),
    female_second=_names("Nurhayati|Nuri|Hasni||||Zahra|"),
    muslim=True,
)
MINAHASA = Pool(
    male_first=_names("Jefry|Stevanus|Ronald|Hendrik|Frangky|Marthen|Johny|Alfian"),
    male_second=_names("||Christian||Reinhard||Alfred|"),
    female_first=_names("Meiske|Vonny|Julianti|Grace|Deisy|Natalia|Stella|Marlina"),
    female_second=_names("||Olivia||Anastasia|||Vivian"),
    family=_names(
        "Lumentut|Rumengan|Mandagi|Pangemanan|Wowor|Sumampouw|Lengkong|Kawengian|Runtuwene|"
        "Mokoginta|Manoppo|Paputungan"
    ),
    family_rate=1.0,
)
GORONTALO = Pool(
    male_first=_names("Ismail|Arfan|Rivai|Yusuf|Fadli|Rahmat|Ridwan|Hamzah"),
    male_second=_names("|||Syam|||Ibrahim|"),
    female_first=_names("Nurain|Wahyuni|Fatmah|Rahmawaty|Nurhayati|Sitti|Rosmin|Sri"),
    female_second=_names("|||||Hadija||Yunita"),
    family=_names("Hulopi|Pakaya|Gobel|Lamusu|Hasan|Tuli|Katili|Dunggio|Mohamad"),
    family_rate=0.9,
    muslim=True,
)
KAILI = Pool(
    male_first=_names("Muhammad|Rusdy|Andi|Irfan|Syarifuddin|Mohamad|Hidayat|Ardin"),
    male_second=_names("Yasin||Rizal||Hamid|||Ansyar"),
    female_first=_names("Sitti|Nurul|Hasnah|Nurlela|Fitriyani|Rahma|Sri|Ratna"),
    female_second=_names("Hadijah|Fadila|||||Ningsih|Dewi"),
    family=_names("Lamasitudju|Lasahido|Tombolotutu|Lamakarate|Masiga|Pettalolo"),
    family_rate=0.6,
    muslim=True,
)
MALUKU = Pool(
    male_first=_names(
        "Johanis|Abraham|Melkianus|Yakob|Semuel|Ruben|Alexander|Abdullah|Husein|Ridwan"
    ),
    male_second=_names("|||Frans|||Junior|||"),
    female_first=_names("Magdalena|Yohana|Ester|Selfina|Welhelmina|Sarah|Orpa|Saleha|Fatma"),
    female_second=_names("||||||||"),
    family=_names(
        "Pattinama|Tuhumury|Sahetapy|Pattiasina|Matulessy|Leiwakabessy|Wattimena|Tahapary|Siahaya|"
        "Latuconsina|Tuasikal|Marasabessy|Ohorella"
    ),
    family_rate=1.0,
)
MALUT = Pool(
    male_first=_names("Iskandar|Rusdi|Rahmat|Faisal|Abdul|Muhammad|Sofyan|Ikbal"),
    male_second=_names("||||Gani|Nasir||"),
    female_first=_names("Nurlela|Halima|Aisa|Suryani|Hadija|Rosdiana|Marni|Nursia"),
    female_second=_names("|||||||"),
    family=_names("Sangaji|Marsaoly|Djaguna|Soleman|Kader|Fabanyo|Buamona|Umasangaji"),
    family_rate=1.0,
    muslim=True,
)

_PAPUA_MALE = _names(
    "Yohanis|Markus|Yulius|Otto|Agustinus|Benny|Daniel|Elias|Frans|Isak|Obed|Nataniel|Yakobus|Hengky"
)
_PAPUA_FEMALE = _names(
    "Yuliana|Fransina|Ester|Martha|Agustina|Yosina|Maria|Selfina|Regina|Lea|Dorkas|Mince"
)


def _papua(family: str) -> Pool:
    return Pool(_PAPUA_MALE, ("",), _PAPUA_FEMALE, ("",), _names(family), family_rate=1.0)


PAPUA_NORTH = _papua("Ohee|Yoku|Wally|Rumbiak|Mansoben|Awom|Korwa|Rumaropen|Pepuho|Sawaki")
PAPUA_WEST = _papua("Mandacan|Indouw|Saiba|Ullo|Iba|Rumbruren|Wonggor|Hindom")
PAPUA_SOUTH = _papua("Gebze|Mahuze|Kaize|Balagaize|Ndiken|Samkakai|Basik-Basik|Mbaraka")
PAPUA_CENTRAL = _papua("Pigai|Tebai|Gobai|Mote|Douw|Yogi|Magai|Kotouki|Beanal|Magal")
PAPUA_HIGHLANDS = _papua("Wenda|Tabuni|Kogoya|Murib|Wonda|Hubi|Lokobal|Yikwa|Wetipo|Asso")
PAPUA_SOUTHWEST = _papua("Kalami|Malibela|Osok|Kambuaya|Mambraku|Dimara|Burdam|Rumbekwan")

PROVINCE_POOLS: dict[str, tuple[tuple[Pool, float], ...]] = {
    "11": ((ACEH, 0.85), (JAVANESE, 0.15)),
    "12": ((BATAK, 0.45), (MANDAILING, 0.15), (MELAYU, 0.1), (CHINESE, 0.15), (JAVANESE, 0.15)),
    "13": ((MINANG, 0.9), (JAVANESE, 0.1)),
    "14": ((MELAYU, 0.5), (MINANG, 0.2), (BATAK, 0.15), (JAVANESE, 0.15)),
    "15": ((MELAYU, 0.6), (JAVANESE, 0.25), (MINANG, 0.15)),
    "16": ((PALEMBANG, 0.6), (JAVANESE, 0.3), (CHINESE, 0.1)),
    "17": ((MELAYU, 0.6), (JAVANESE, 0.2), (MINANG, 0.2)),
    "18": ((LAMPUNG, 0.35), (JAVANESE, 0.5), (SUNDANESE, 0.15)),
    "19": ((MELAYU, 0.6), (HAKKA, 0.3), (CHINESE, 0.1)),
    "21": ((MELAYU, 0.6), (CHINESE, 0.1), (HAKKA, 0.1), (JAVANESE, 0.1), (BATAK, 0.1)),
    "31": (
        (BETAWI, 0.25),
        (JAVANESE, 0.25),
        (SUNDANESE, 0.15),
        (CHINESE, 0.15),
        (BATAK, 0.1),
        (ARAB, 0.1),
    ),
    "32": ((SUNDANESE, 0.85), (JAVANESE, 0.1), (CHINESE, 0.05)),
    "33": ((JAVANESE, 0.9), (CHINESE, 0.05), (ARAB, 0.05)),
    "34": ((JAVANESE, 1.0),),
    "35": ((JAVANESE, 0.7), (MADURESE, 0.15), (CHINESE, 0.08), (ARAB, 0.07)),
    "36": ((SUNDANESE, 0.6), (BETAWI, 0.2), (JAVANESE, 0.2)),
    "51": ((BALINESE, 0.9), (JAVANESE, 0.1)),
    "52": ((SASAK, 0.9), (BALINESE, 0.1)),
    "53": ((NTT, 1.0),),
    "61": ((MELAYU, 0.35), (DAYAK, 0.3), (HAKKA, 0.15), (CHINESE, 0.1), (MADURESE, 0.1)),
    "62": ((DAYAK, 0.6), (BANJAR, 0.25), (JAVANESE, 0.15)),
    "63": ((BANJAR, 0.9), (JAVANESE, 0.1)),
    "64": ((BANJAR, 0.3), (BUGIS, 0.3), (JAVANESE, 0.25), (DAYAK, 0.15)),
    "65": ((DAYAK, 0.4), (BUGIS, 0.35), (JAVANESE, 0.25)),
    "71": ((MINAHASA, 0.9), (GORONTALO, 0.1)),
    "72": ((KAILI, 0.55), (ALJUFRI, 0.1), (BUGIS, 0.2), (JAVANESE, 0.15)),
    "73": ((BUGIS, 1.0),),
    "74": ((SULTRA, 0.65), (BUGIS, 0.35)),
    "75": ((GORONTALO, 1.0),),
    "76": ((BUGIS, 1.0),),
    "81": ((MALUKU, 1.0),),
    "82": ((MALUT, 1.0),),
    "91": ((PAPUA_NORTH, 0.85), (BUGIS, 0.15)),
    "92": ((PAPUA_WEST, 0.85), (BUGIS, 0.15)),
    "93": ((PAPUA_SOUTH, 0.8), (JAVANESE, 0.2)),
    "94": ((PAPUA_CENTRAL, 1.0),),
    "95": ((PAPUA_HIGHLANDS, 1.0),),
    "96": ((PAPUA_SOUTHWEST, 0.85), (MALUKU, 0.15)),
}

# Residents registered under codes that were later retired: the NIK keeps them.
RETIRED_DISTRICTS: tuple[tuple[str, Pool, int], ...] = (
    ("910101", PAPUA_SOUTH, 3),  # Merauke, Kab. Merauke (Papua) -> 9301 Papua Selatan, 2022
    ("910102", JAVANESE, 1),  # Muting, Kab. Merauke: transmigrant family
    ("927101", PAPUA_SOUTHWEST, 2),  # Sorong, Kota Sorong (Papua Barat) -> 9671, 2023
    ("927103", MALUKU, 1),  # Sorong Barat, Kota Sorong
    ("910201", PAPUA_HIGHLANDS, 1),  # Wamena, Kab. Jayawijaya -> 9502 Papua Pegunungan
    ("910901", PAPUA_CENTRAL, 1),  # Mimika Baru, Kab. Mimika -> 9401 Papua Tengah
)

DEGREES = ("S.Pd.", "S.E.", "S.Kom.", "S.H.", "S.T.", "S.Sos.", "A.Md.", "S.Kep.")


# --- fixed people the docs, demos and tests rely on ------------------------------------------

Sex = Literal["L", "P"]


@dataclass(frozen=True)
class Person:
    nik: str
    full_name: str
    mother_name: str
    birth_place: str
    birth_date: date
    sex: Sex
    active: bool = True

    def row(self) -> tuple[str, ...]:
        return (
            self.nik,
            self.full_name,
            self.mother_name,
            self.birth_place,
            self.birth_date.isoformat(),
            self.sex,
            "true" if self.active else "false",
        )


def palmerah() -> str:
    """The Kemendagri code of Kecamatan Palmerah, Kota Adm. Jakarta Barat.

    The Kepmendagri list writes it "Pal Merah".
    """
    found = regions.search("pal merah", level="district", within="3173")
    if len(found) != 1:
        raise SystemExit(f"expected one Palmerah district in 3173, found {found}")
    return found[0].code


# (district, full name, mother's name, birth place, birth date, sex, serial, active);
# district None is Palmerah.
FIXED: tuple[tuple[str | None, str, str, str, date, Sex, int, bool], ...] = (
    # The brief's sample person.
    (None, "Galih Agan Pambayun", "Sri Wahyuni", "Jakarta", date(1994, 3, 12), "L", 42, True),
    # Titles and degrees in the stored record.
    ("327301", "H. Ahmad Fauzi", "Hj. Siti Maryam", "Bandung", date(1968, 11, 4), "L", 317, True),
    ("637101", "Hj. Siti Rahmah", "Norhayati", "Banjarmasin", date(1972, 7, 1), "P", 88, True),
    (
        "337401",
        "Dr. Bambang Susilo, M.T.",
        "Sumarni",
        "Semarang",
        date(1965, 2, 20),
        "L",
        1204,
        True,
    ),
    ("357801", "Ir. Lie Tjoen Fa", "Oey Siu Lan", "Surabaya", date(1958, 9, 9), "L", 51, True),
    # Spellings of Muhammad.
    ("350701", "M. Rizki Ramadhan", "Siti Aminah", "Malang", date(1999, 1, 8), "L", 2301, True),
    (
        "352601",
        "Moh. Syaifullah",
        "Sitti Maimunah",
        "Bangkalan",
        date(1985, 12, 31),
        "L",
        730,
        True,
    ),
    ("320405", "Mochamad Iqbal", "Euis Rohaeti", "Bandung", date(2001, 6, 15), "L", 19, True),
    # An inactive resident (Dukcapil answers "status tidak aktif").
    ("331001", "Sutarmi", "Painem", "Klaten", date(1950, 12, 31), "P", 6, False),
)


def fixed_people() -> list[Person]:
    people = []
    for code, name, mother, place, born, sex, serial, active in FIXED:
        district = palmerah() if code is None else code
        nik = compose_nik(district, born, sex, serial)
        people.append(Person(nik, name, mother, place, born, sex, active))
    return people


# --- generation ---------------------------------------------------------------------------------

# First names that are prefixes (nobility, birth order, abbreviations): never a whole name.
PREFIXES = frozenset(
    _names(
        "Moh.|M.|Muh.|Abd.|Abdul|Muhammad|Mohammad|Mochamad|Muhamad|Teuku|Cut|Cut Nyak|Said|"
        "Tengku|Raja|Wan|Kemas|Masagus|Nyimas|Masayu|Raden|Sutan|Lalu|Lalu Ahmad|Baiq|Andi|"
        "Gusti|La|La Ode|La Ode Muhammad|Wa|Wa Ode|Wa Ode Sitti|Siti|Sitti|Nur|Dwi|Tri"
    )
)


def _pick_pool(rng: random.Random, province: str) -> Pool:
    pools = PROVINCE_POOLS[province]
    return rng.choices([p for p, _ in pools], weights=[w for _, w in pools])[0]


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _name(rng: random.Random, pool: Pool, sex: Sex) -> tuple[str, str]:
    """A (full name, family name) of ``sex`` from ``pool``."""
    firsts, seconds = (
        (pool.male_first, pool.male_second)
        if sex == "L"
        else (pool.female_first, pool.female_second)
    )
    first, second = rng.choice(firsts), rng.choice(seconds)
    if not second and first in PREFIXES:
        second = rng.choice([s for s in seconds if s] or ["Rahman" if sex == "L" else "Rahmah"])
    family = rng.choice(pool.family) if pool.family and rng.random() < pool.family_rate else ""
    return _join(first, second, family), family


def _mother(rng: random.Random, pool: Pool, child_family: str) -> str:
    """A mother's maiden name: a woman of the same people, of another clan where clans exist."""
    name, family = _name(rng, pool, "P")
    while family and family == child_family:
        name, family = _name(rng, pool, "P")
    if pool.batak and family and rng.random() < 0.5:
        name = name[: -len(family)] + "br " + family  # boru: "Tiurma br Sinaga"
    if pool.muslim and rng.random() < 0.12:
        name = "Hj. " + name
    return name


def _birth_date(rng: random.Random, year: int) -> date:
    roll = rng.random()
    if roll < 0.06:
        return date(year, 7, 1)  # unknown date, as SIAK records it (since 2004)
    if roll < 0.10:
        return date(year, 12, 31)  # unknown date, as recorded before 2004
    month = rng.randint(1, 12)
    if roll < 0.13:
        return date(year, month, 15)  # only the month known
    return date(year, month, rng.randint(1, 28 if month == 2 else 30))


def _place(code: str) -> str:
    """The birth place a resident registered in ``code`` most likely has: the regency's town."""
    regency = regions.regency(code[:4])
    if regency is None:
        raise SystemExit(f"no regency {code[:4]}")
    name = regency.name
    for prefix in ("Kota Administrasi ", "Kabupaten Administrasi ", "Kabupaten ", "Kota "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return "Jakarta" if name.startswith("Jakarta ") else name


def _decorate(rng: random.Random, pool: Pool, name: str, sex: Sex, year: int) -> str:
    """Add the titles and degrees some stored records carry."""
    if pool.muslim and year < 1985 and rng.random() < 0.15:
        name = ("H. " if sex == "L" else "Hj. ") + name
    if 1960 <= year < 1999 and rng.random() < 0.07:
        name = f"{name}, {rng.choice(DEGREES)}"
    return name


@dataclass
class _State:
    rng: random.Random
    origins: dict[Pool, list[str]]  # regencies where a people mostly lives: migrants' birth places
    niks: set[str]
    names: set[str]

    def person(self, pool: Pool, code: str) -> Person:
        rng = self.rng
        sex: Sex = rng.choice(("L", "P"))
        year = rng.randint(1950, 2007)
        born = _birth_date(rng, year)
        nik = compose_nik(code, born, sex, rng.randint(1, 9999))
        while nik in self.niks:
            nik = compose_nik(code, born, sex, rng.randint(1, 9999))
        name, family = _name(rng, pool, sex)
        name = _decorate(rng, pool, name, sex, year)
        while name in self.names:
            name, family = _name(rng, pool, sex)
        mother = _mother(rng, pool, family)
        while mother.removeprefix("Hj. ") in name:  # never the child's own name
            mother = _mother(rng, pool, family)
        home = code if rng.random() < 0.85 else rng.choice(self.origins[pool])
        self.niks.add(nik)
        self.names.add(name)
        return Person(nik, name, mother, _place(home), born, sex)


def build() -> list[Person]:
    """Every resident, sorted by NIK (deterministic)."""
    people = fixed_people()
    districts = {
        p.code: [d.code for r in regions.children(p.code) for d in regions.children(r.code)]
        for p in regions.children()
    }
    if sorted(districts) != sorted(PROVINCE_POOLS):
        raise SystemExit("PROVINCE_POOLS must name every province exactly once")
    origins: dict[Pool, list[str]] = {}
    for province, pools in sorted(PROVINCE_POOLS.items()):
        pool, weight = max(pools, key=lambda item: item[1])
        if weight >= 0.5:
            origins.setdefault(pool, []).extend(r.code for r in regions.children(province))
    for pools in PROVINCE_POOLS.values():
        for pool, _ in pools:
            origins.setdefault(pool, [r.code for r in regions.children("31")])
    state = _State(
        random.Random(SEED),  # noqa: S311  (reproducible synthetic data, not a secret)
        origins,
        {p.nik for p in people},
        {p.full_name for p in people},
    )

    generated: list[Person] = []
    for province in sorted(PROVINCE_POOLS):
        for _ in range(PER_PROVINCE):
            pool = _pick_pool(state.rng, province)
            generated.append(state.person(pool, state.rng.choice(districts[province])))
    for code, pool, count in RETIRED_DISTRICTS:
        generated.extend(state.person(pool, code) for _ in range(count))
    for index in state.rng.sample(range(len(generated)), INACTIVE):
        generated[index] = replace(generated[index], active=False)
    people.extend(generated)

    for person in people:  # every NIK must parse and agree with its row
        nik = parse_nik(person.nik)
        if (nik.birth_date, nik.sex) != (person.birth_date, person.sex):
            raise SystemExit(f"NIK and row disagree: {person}")
    return sorted(people, key=lambda p: p.nik)


def render(people: list[Person]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(p.row() for p in people)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the CSV is out of date")
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run scripts/make_residents.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 1} residents to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
