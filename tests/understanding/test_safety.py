"""The urgent-keyword net: every language, with typos and without diacritics; calm questions stay calm."""

from __future__ import annotations

import pytest

from bot.content.loader import load
from bot.settings import PROJECT_ROOT
from bot.understanding.safety import keyword_net

# The shipped net: content/safety/keywords.yaml as `content check` reads it.
NET = keyword_net(load(PROJECT_ROOT / "content").keywords)
check = NET.check

EMERGENCIES = [
    # (language, message) - written for this test, not taken from the content's examples
    ("de", "Hilfe, in unserer Küche brennt es!"),
    ("de", "mein sohn ist bewustlos"),  # typo
    ("de", "ich will nicht mehr leben"),
    ("de", "Wohnungsbrand im 3. Stock"),  # compound word
    ("en", "please send an ambulence"),  # typo
    ("en", "my dad had a heart attack"),
    ("en", "i want to kill myself"),
    ("en", "the baby swallowed poison"),
    ("en", "burglars are in our flat"),  # "=burglar": no typo tolerance, but its endings still count
    ("de", "mein vater hat schmerzen in der brust"),
    ("en", "my mum has chest pain and sweats"),
    ("ar", "جدي عنده وجع بصدره"),
    ("ar", "ايده عم ينزف ما عم يوقف"),
    ("tr", "annemin göğüs ağrısı var"),
    ("fa", "پدرم درد سینه داره"),
    ("ku", "birayê min di çem de dixeniqe"),
    ("ku", "li avahiyê şewat derket"),
    ("ku", "keça min sabûna firaqan vexwar"),  # Kurmanji puts the object before the verb
    ("ku", "dapîra min nefes nagire"),  # nefes (breath), as many Kurmanji speakers say it
    ("ku", "êşa sîngê bavê min heye"),
    ("uk", "у сусідів пожежа"),
    ("uk", "мама без свідомості"),
    ("uk", "я хочу покінчити з собою"),
    ("ru", "срочно вызовите скорую"),
    ("ru", "ребенок отравился таблетками"),
    ("ru", "муж не дышит"),
    ("ar", "في حريق بالعمارة"),
    ("ar", "ابني فاقد الوعي"),
    ("ar", "بدي انتحر"),
    ("tr", "evde yangin var"),  # no dotless ı
    ("tr", "babam bayıldı ambulans lazım"),
    ("tr", "intihar etmek istiyorum"),
    ("fa", "آتش سوزی در ساختمان"),
    ("fa", "پدرم بیهوش شده"),
    ("fa", "میخواهم خودکشی کنم"),
    ("ku", "li malê agir heye"),
    ("ku", "bavê min bêhiş e"),
    ("ku", "ez dixwazim xwe bikujim"),
    # injured people, overdoses, collapse, rescue service, break-ins (added with the keywords)
    ("de", "rettungsdienst bitte schnell"),
    ("de", "er ist zusammengebrochen"),
    ("de", "jemand bricht gerade ein"),
    ("en", "my neighbour collapsed on the stairs"),
    ("en", "someone broke into our flat right now"),
    ("uk", "у нас передозування"),
    ("uk", "є поранені на дорозі"),
    ("ru", "скорая"),
    ("ru", "передозировка у брата"),
    ("ar", "جرعة زائدة بسرعة"),
    ("ar", "في جرحى بالشارع"),
    ("tr", "arkadasim asiri doz aldi"),
    ("fa", "اوردوز کرده"),
    ("fa", "مادرم غش کرده"),
    ("fa", "بچیم دوای زیاد خورد"),  # Dari: too much medicine
    ("fa", "برادرم میگه خود کشی میکنم"),  # written apart
    ("ku", "doza zêde girt"),
    # gas, swallowed batteries, stroke signs, gunshots (added with the keywords of step 10)
    ("de", "es riecht nach gas im treppenhaus"),
    ("en", "it smells of gas in our kitchen"),
    ("uk", "в підїзді дуже пахне газом"),
    ("ru", "в квартире запах газа"),
    ("ar", "في ريحة غاز بالمطبخ"),
    ("tr", "mutfakta gaz kokusu var"),
    ("fa", "تو خونه بوی گاز میاد"),
    ("de", "mein kind hat eine batterie verschluckt"),
    ("en", "my son swallowed a battery"),
    ("uk", "син проковтнув батарейку"),
    ("ru", "ребенок проглотил батарейку"),
    ("tr", "oğlum pil yuttu"),
    ("uk", "мама наковталась пігулок"),
    ("ru", "у отца перекосило лицо"),
    ("ku", "bavê min nikare nefes bigire"),
    ("tr", "dışarıda silah sesi var"),
    ("de", "opa kann plötzlich nicht mehr sprechen"),
    ("en", "my mother's face is drooping on one side"),
    ("uk", "у тата раптом не може говорити"),
    ("ru", "бабушка вдруг не может говорить"),
    ("ar", "جدي وجهه مال فجأة"),
    ("tr", "babamın yüzü kaydı"),
    # seizures, fighting for breath, heavy bleeding (keywords of step 11)
    ("de", "unser sohn hat einen krampfanfall"),
    ("de", "das baby krampft"),
    ("en", "my daughter is having a seizure"),
    ("en", "he has convulsions"),
    ("uk", "дитина задихається"),
    ("ru", "муж задыхается"),
    ("ar", "اختي عم تتشنج"),
    ("ar", "بنتي عم تنزف كتير"),
    ("ar", "في دم كتير عالارض"),
    ("tr", "kardeşim nöbet geçiriyor"),
    ("tr", "bebeğim havale geçirdi"),
    ("fa", "پسرم تشنج کرده"),
    ("fa", "یک طرف صورت پدرم افتاده"),
    ("ku", "dapîra min ji nişka ve nikare biaxive"),
    ("en", "my friend wants to end his life tonight"),
    ("ar", "اختي بدها تنهي حياتها"),
    ("tr", "hayatıma son vermek istiyorum"),
    ("ku", "dixwazim dawî li jiyana xwe bînim"),
    ("de", "das kind hat wilde pilze gegessen"),
    ("ru", "сын съел грибы в лесу"),
    # bleeding that will not stop, in words other than "bleeding" (keywords of step 19)
    ("de", "nach dem sturz eine starke blutung am kopf"),
    ("en", "my husband is losing blood fast"),
    ("uk", "у сина кров не зупиняється з носа"),
    ("uk", "krov ne zupyniaietsia pislia porizu"),
    ("ru", "у мамы кровь не останавливается"),
    ("ru", "krov ne ostanavlivaetsya u rebenka"),
    ("ar", "ukhti 3am tinzif min rasha"),
    ("tr", "kolundan kan durmuyor"),
    ("tr", "çok kan kaybediyor"),
    ("fa", "خون دستش بند نمیاد"),  # the verb after the noun's complement
    ("fa", "khun band nemiad az pash"),
    # someone about to jump from a height (keywords of step 19)
    ("de", "eine frau will vom dach springen"),
    ("en", "my friend says he will jump off the roof"),
    ("uk", "сусід хоче стрибнути з даху"),
    ("ru", "девушка хочет прыгнуть с моста"),
    ("ar", "اخي بدو يرمي حاله من الشباك"),
    ("ar", "bidi armi 7ali mn el jisr"),
    ("tr", "arkadaşım köprüden atlamak istiyor"),
    ("fa", "دوستم میگه از پل بپرم"),
    # electric shocks, foam at the mouth, chest pressure, going under (keywords of step 19)
    ("de", "ruft die feuerwehr, im keller ist feuer"),
    ("de", "mein kollege hat einen stromschlag bekommen"),
    ("de", "sie hat schaum vor dem mund"),
    ("en", "my brother was electrocuted at work"),
    ("en", "she is foaming at the mouth"),
    ("en", "dad feels pressure on his chest"),
    ("uk", "в дідуся піна з рота"),
    ("uk", "tysne v grudiakh u mamy"),
    ("uk", "khlopets pishov pid vodu"),
    ("ru", "у жены пена изо рта и судороги"),
    ("ru", "u muzha glaza zakatilis"),
    ("ru", "сильно давит в груди у отца"),
    ("ar", "ابني مسكته الكهربا من الشاحن"),
    ("ar", "طالع رغوة من تمه وعم يرجف"),
    ("ar", "ukhti 3inda nawbet sar3"),
    ("tr", "babamı elektrik çarptı"),
    ("tr", "ağzından köpük geliyor ne yapayım"),
    ("fa", "برادرم را برق گرفته شد"),
    ("fa", "kaf az dahanesh miad"),
    ("ku", "ceryan lê xist ket erdê"),
    ("ku", "kef ji devê kurê min tê"),
    ("ku", "keça min pîl daqurtand"),
    ("fa", "بچه ها قارچ خوردن حالشون بده"),
    ("tr", "çocuk ormanda mantar yedi"),
    ("en", "my wife's water broke"),
    ("uk", "у дружини відійшли води"),
    # in Latin letters: Finglish, Arabizi, Russian and Ukrainian transliteration
    ("fa", "komak khoone atash gerefte"),
    ("fa", "babam bihoosh shode"),
    ("fa", "mikham khodkoshi konam"),
    ("ar", "bidi es3af bsor3a"),
    ("ar", "fi 7ari2 bel binaye"),
    ("ar", "ibni ma 3am yetnaffas"),
    ("ru", "vyzovite skoruyu pozhaluysta"),
    ("ru", "u sosedey pozhar"),
    ("ru", "rebenok otravilsya tabletkami"),
    ("uk", "potribna shvydka dopomoha"),
    ("uk", "mama bez svidomosti"),
    ("fa", "pedaram dard e sine dare"),
    ("fa", "mikham khodamo mikosham"),
    ("uk", "dytyna vypyla khimiiu"),
    ("ru", "u nas gorit kuhnja"),
    ("ar", "ibni bala3 7ubub"),
    # the Latin-letter forms of cues the native lists have (issue #4 step 17): a wish to die, drowning,
    # a stroke, gas, a break-in, an overdose, an attack, a seizure
    ("ru", "ya ne hochu bolshe zhit"),  # up to two words may stand between a phrase's words
    ("ru", "hochu pokonchit s soboi"),
    ("ru", "rebenok tonet v bassejne"),
    ("ru", "pahnet gazom v kvartire"),
    ("ru", "kto-to lomitsya k nam"),
    ("ru", "u druga peredozirovka"),
    ("ru", "na menya napali"),
    ("uk", "ne khochu zhyty bilshe"),
    ("uk", "dumaiu pokinchyty z soboiu"),
    ("uk", "u kvartyri pakhne gazom"),
    ("uk", "htos vlamuietsia v dim"),
    ("uk", "na nas napaly"),
    ("ar", "ma bdi 3ish ba3d el yom"),
    ("ar", "bdi a2tol 7ali"),
    ("ar", "fi walad 3am yighra2 bil baher"),
    ("ar", "jeddi 3endo jalta"),
    ("ar", "fi ri7et gaz bil bet"),
    ("fa", "dige nemikham zende bemunam"),
    ("fa", "bachem dare ghargh mishe"),
    ("fa", "bu-ye gaz miad"),
    ("fa", "pesaram tashanoj karde"),
    ("uk", "хтось вдерся в квартиру"),
    ("ru", "в квартиру ворвался мужчина"),
]

VIOLENCE = [
    ("de", "mein mann schlägt mich"),
    ("de", "ich wurde vergewaltigt"),
    ("en", "my husband beats me every day"),
    ("en", "i was raped"),
    ("uk", "чоловік б'є мене"),
    ("ru", "муж меня бьет"),
    ("ar", "زوجي يضربني"),
    ("tr", "kocam beni dövüyor"),
    ("tr", "kocam beni dovuyor"),  # no diacritics
    ("fa", "شوهرم منو کتک میزنه"),
    ("fa", "شوهرم مره لت و کوب میکنه"),  # Dari
    # a marriage forced on someone, in every language (keywords of step 19)
    ("de", "meine eltern planen eine zwangsehe für mich"),
    ("en", "my family is forcing me to marry my cousin"),
    ("uk", "батьки хочуть примусово одружити сестру"),
    ("uk", "prymusovyi shliub dopomoha"),
    ("ru", "меня хотят насильно выдать замуж"),
    ("ru", "nasilno zamuzh otdayut"),
    ("ar", "اهلي بدهم يجوزوني غصب عني"),
    ("ar", "zawaj bil ijbar shu a3mel"),
    ("tr", "ailem beni zorla evlendirecek"),
    ("tr", "zorla evlilik yardım"),
    ("fa", "پدرم میخواد به زور شوهرم بده"),
    ("fa", "ezdevaj ejbari komak"),
    ("ku", "malbata min dixwaze bi zorê min bizewicîne"),
    # sexual harassment (keywords of step 19; the milder words are weak cues)
    ("de", "ich werde auf der arbeit sexuell belästigt"),
    ("en", "a man at the shelter is sexually harassing me"),
    ("uk", "колега домагається до мене"),
    ("ru", "сосед домогается до дочери"),
    ("ar", "صاحب الشغل عم يتحرش فيني"),
    ("ar", "wa7ed bil heim bet7arrash bi binti"),
    ("fa", "همکارم مزاحمت جنسی میکنه"),
    ("fa", "azar jensi dar kar"),
    ("ku", "mêrê min li min dixe"),
    # threats to kill, strangling, Dari and Kurmanji plural forms (step 10)
    ("uk", "він сказав що вб'є мене"),
    ("ru", "он сказал что убьет меня"),
    ("tr", "kocam beni boğmaya çalıştı"),
    ("fa", "شوهرم مره میزنه"),
    ("fa", "گفته تره میکشم"),
    ("ku", "mêrê min got ez ê te bikujim"),
    ("ku", "birayên min li min dixin"),
    # beaten in the past (he beat me for years): other languages had it ("geschlagen", "beat me")
    ("uk", "він роками бив мене"),
    ("ru", "муж годами бил меня"),
    # strangling in more languages and forms (step 11)
    ("de", "er hat mich gestern gewürgt"),
    ("en", "he strangled me last night"),
    ("en", "my husband choked me"),
    ("uk", "чоловік душив мене"),
    ("uk", "він намагався мене задушити"),
    ("ru", "он меня душил"),
    ("ar", "جوزي خنقني"),
    ("ar", "كان بدو يخنقني"),
    # in Latin letters
    ("fa", "shoharam mano zad"),
    ("ar", "jawzi yedrobni kel yom"),
    ("ar", "zawji yidhrubni kul yom"),  # Iraqi: dh
    ("fa", "shoharam gofte mikoshamet"),
    ("ru", "muzh bet menya"),
    ("ru", "muzh menya bet chto delat"),
    ("uk", "cholovik mene bye"),
    ("uk", "cholovik bye mene"),
    ("ar", "jawzi ydrobni"),
]

CALM = [
    ("ar", "اذن شغل مع الغشتاتونغ"),  # "غش" (fainted) only as a word of its own
    ("ru", "ранний прием у врача"),  # ранний is close to ранен (wounded)
    ("de", "wo melde ich meine wohnung an"),
    ("de", "brauche ich einen termin beim bürgeramt"),
    ("en", "how do i get a fever medicine for my child"),
    ("en", "where can i learn german"),
    ("uk", "мій aufenthaltstitel скоро закінчується"),
    ("ru", "живой человек пожалуйста"),
    ("ar", "شخص حقيقي لو سمحت"),
    ("ar", "كيف أمدد الإقامة"),  # تمديد (extend) is one letter from تهديد (threat)
    ("tr", "randevu nasıl alınır"),
    ("tr", "ausländerbehörde açılış saatleri"),  # açılış folds to acilis, not "acil"
    ("tr", "ne yapıyor bu ofis"),  # yapıyor is one letter from yanıyor
    ("tr", "buralarda cami var mı"),  # buralar (around here) is one letter from "burglar"
    ("de", "kann ich mich dort beraten lassen"),  # beraten is one letter from "beaten"
    ("de", "darf man in der wohnung rauchen"),  # rauchen (to smoke) is not Rauch (smoke)
    ("en", "where can i smoke near the station"),
    ("ar", "وين بقدر اشتري دخان"),  # دخان is also tobacco
    ("ku", "kindergeld çiqas dem digire"),  # digire (takes) is one letter from dimire (is dying)
    ("ku", "gazî min bike"),  # gazî (call) begins like gaz (gas)
    ("fa", "چطور وقت بگیرم"),  # بگیرم is one letter from بمیرم
    ("ku", "tu bi kurdî dizanî"),  # dizanî starts like diz (thief)
    ("ku", "ez dixwazim erebeyekê bikirim"),  # bikirim is one letter from bimirim
    ("fa", "دوای سرماخوردگی از کجا بخرم"),  # medicine, without "too much"
    # in Latin letters, and words that begin like a romanized cue
    ("fa", "jobcenter kojast"),
    ("ar", "kif a3mel termin bel jobcenter"),
    ("ru", "gde sdelat anmeldung"),
    ("en", "short question about the kita"),  # "short" is one letter from Arabizi "shorta" (police)
    ("tr", "harika teşekkürler"),  # harika is not Arabizi hariq (fire)
    ("ru", "soedinite s operatorom pozhaluysta"),  # pozhaluysta is one letter from pozhar (fire)
    ("ar", "ma a3rif iza masmu7li ashtghel"),  # masmu7 (allowed) begins like masmum (poisoned)
    ("ar", "il intithar bil auslenderbehorde shgad"),  # Iraqi intithar (waiting) is one letter from intihar
    ("tr", "boğazım ağrıyor hangi doktora gideyim"),  # boğaz (throat) begins like boğ (strangle)
    ("de", "wie melde ich gas und strom an"),
    ("fa", "قبض گاز رو کجا پرداخت کنم"),
    ("ku", "bi kerema xwe alîkariya min bike"),  # kerema (please) begins like kêrê (knife)
    ("ar", "الدمج بالمدرسة كتير صعب"),  # الدمج (inclusion) begins like دم (blood)
    ("uk", "де купити гель для душу"),  # душ (shower) begins like душив (strangled)
    ("ar", "هل حرام اشتغل يوم الجمعة"),  # حرام (forbidden) is one letter from حرامي (thief)
    ("ru", "ворота школы закрыты до восьми"),  # ворота (gate) begins like вор (thief)
    ("ru", "он забил мне голову бумагами"),  # забил (stuffed) ends like бил (beat)
    ("tr", "bu ay gaz faturasi ne kadar"),  # Turkish bu (this) is not Finglish bu (smell) of gas
    ("tr", "bu gazeteyi nereden alırım"),
    ("ru", "ne hochu idti v jobcenter odna"),  # "ne hochu" alone is no cue
    ("ru", "kak oplatit gaz za kvartiru"),
    ("tr", "kanada vizesi nasıl alınır"),  # Kanada is one letter from kanama (bleeding)
    ("de", "mein bruder lebt in kanada"),
    ("de", "termin für eine blutuntersuchung"),  # begins one letter from Blutung
    ("ar", "shirket tanzif bidi shoghl fiha"),  # shirket (company) begins like shirib (drank)
    ("uk", "де здати аналіз крові"),
    ("fa", "azmayesh khun kojast"),  # a blood test
    ("tr", "kan tahlili için randevu"),
    ("tr", "yurtta kalıyorum sosyal danışman nerede"),  # kalıyorum is one letter from kanıyor
    ("fa", "قبض برق گرفتم کجا پرداخت کنم"),  # the electricity bill, not an electric shock
    ("ar", "فاتورة الكهربا غالية كتير"),
    ("ru", "когда можно приступить к работе"),  # приступить (to start) begins like приступ (a fit)
    ("de", "wo kann ich etwas drucken, brauche eine kopie"),  # drucken, not Druck auf der Brust
    ("ar", "zawaj bel standesamt shu el awra2"),  # a wedding, not a forced one
    ("de", "wie lange dauert eine zwangsvollstreckung"),
    ("de", "seit dem krieg macht mir das feuerwerk an silvester angst"),  # Feuerwerk is not a fire
    ("de", "wo kaufe ich ein feuerzeug"),
    ("de", "die nachbarn belästigen uns mit lärm"),  # only "belästigt mich" is a (weak) cue
    ("uk", "мені ніхто не відповідає з Jobcenter, вже місяць чекаю"),  # відповідає is one letter from відпив
    ("uk", "хто відповідає за опалення в гуртожитку"),
]


@pytest.mark.parametrize(("language", "text"), EMERGENCIES)
def test_emergencies_are_caught_in_every_language(language: str, text: str) -> None:
    hit = check(text)
    assert hit is not None, text
    assert hit.category == "emergency"
    assert hit.strong


@pytest.mark.parametrize(("language", "text"), VIOLENCE)
def test_violence_is_caught_and_told_apart(language: str, text: str) -> None:
    hit = check(text)
    assert hit is not None, text
    assert hit.category == "violence"


@pytest.mark.parametrize(("language", "text"), CALM)
def test_everyday_questions_raise_no_alarm(language: str, text: str) -> None:
    assert check(text) is None


def test_case_and_accents_do_not_matter() -> None:
    assert check("NOTFALL!!!") is not None
    assert check("YANGIN VAR") is not None
    assert check("BÊHIŞ") is not None


def test_weak_cues_are_marked_weak() -> None:
    hit = check("wann rufe ich 112 an")
    assert hit is not None and not hit.strong


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # "smoke" and its words also stand for smoking and tobacco
        ("в під'їзді дим", "emergency"),
        ("в подъезде дым", "emergency"),
        ("überall rauch im flur", "emergency"),
        ("smoke coming out", "emergency"),
        # the emergency number in Arabic-Indic or Persian digits is the same cue as "112"
        ("متى اتصل على ١١٢", "emergency"),
        ("کی به ۱۱۲ زنگ بزنم", "emergency"),
        # the police, in Iranian and in Dari spelling
        ("پلیس ره خبر کنین", "emergency"),
        ("پولیس ره خبر کنین", "emergency"),
        # having fled home, often with the children: a shelter may be needed tonight ("fled from my
        # home country" is an asylum question)
        ("wir sind mit den kindern von zu hause geflohen", "violence"),
        ("i fled from home with my kids", "violence"),
        ("ми з дітьми втекли з дому", "violence"),
        ("мы сбежали из дома от мужа", "violence"),
        ("هربت من البيت مع ولادي", "violence"),
        ("çocuklarla evden kaçtık", "violence"),
        ("با بچه ها از خونه فرار کردیم", "violence"),
        ("em ji malê reviyan", "violence"),
        # convulsions, where the word also means cramps ("судоми в ногах")
        ("у доньки судоми", "emergency"),
        ("у сына судороги", "emergency"),
        # threats, written in Latin letters, and in Kurmanji
        ("kolyshnii cholovik pohrozhuie", "violence"),
        ("byvshiy muzh ugrozhaet", "violence"),
        ("mêrê min ê berê gef dixwe", "violence"),
        ("yek bi kêrê li ber derî ye", "violence"),
        # the help on offer, asked for by its German name: it may be needed tonight
        ("gibt es das hilfetelefon auch auf arabisch", "violence"),
        ("де найближчий фрауенхаус", "violence"),
        ("фрауенберацунгсштелле адрес", "violence"),
        ("آدرس مرکز مشاوره زنان", "violence"),
        # a thief in the house: in Finglish, colloquial Arabic and Arabizi, Ukrainian and Russian
        # (weak: "the landlord is a thief" is a complaint)
        ("ye dozd tu khune ast", "emergency"),
        ("في حرامي جوا البيت", "emergency"),
        ("fi 7arami bel bet", "emergency"),
        ("злодій у хаті", "emergency"),
        ("вор в квартире", "emergency"),
        # a jump threatened; weak, as colloquial "بپرم" is also "pop over" (to a shop, an office)
        ("دوستم میخواد بپره", "emergency"),
        ("dadasham mikhad bepare", "emergency"),
        # a stroke in Russian and Ukrainian transliteration; weak, as English "insult" is an offence
        ("u babushki insult", "emergency"),
        ("my neighbour shouted an insult at me", "emergency"),
        # harassment in everyday words, weak: "belästigt", "harass", "пристает" are also mere nuisance
        ("mein nachbar belästigt mich ständig", "violence"),
        ("my boss keeps harassing me", "violence"),
        ("начальник пристает ко мне", "violence"),
        ("el mudeer bilmesni kil yom", "violence"),
        ("jiranna bidrbo binthon kil lele", "violence"),  # "they beat (her)", Arabizi
    ],
)
def test_weak_cues(text: str, category: str) -> None:
    # Weak: a confident reading of an everyday topic overrules them (the policy decides).
    hit = check(text)
    assert hit is not None and hit.category == category and not hit.strong


def test_every_language_has_both_lists() -> None:
    from bot.content.model import LANGUAGES

    for category in ("emergency", "violence"):
        assert {k.language for k in NET.keywords if k.category == category} >= set(LANGUAGES)


@pytest.mark.parametrize(
    "text",
    [
        "Mein Mann sperrt mich ein und lässt mich nicht aus dem Haus",
        "my employer locked me in the room and took my phone",
        "чоловік забрав паспорт і не випускає мене з дому",
        "муж запер меня и не выпускает",
        "زوجي آخد جوازي وما بيخليني اطلع من البيت",
        "kocam pasaportumu aldı, dışarı çıkmama izin vermiyor",
        "شوهرم پاسپورتمو گرفته و نمیذاره بیرون برم",
        "mêrê min pasaport girtiye, nahêle ez derkevim",
    ],
)
def test_someone_held_and_not_let_out_is_violence_in_every_language(text: str) -> None:
    # Found on the seed-13 split: a Kurmanji woman whose husband "took my passport and phone and does
    # not let me go out" was read as the new passport topic, with no keyword and a calm semantic net.
    hit = check(text)
    assert hit is not None and hit.category == "violence" and hit.strong


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Mein Kind hat Tabletten geschluckt", "emergency"),
        ("my son swallowed pills", "emergency"),
        ("she drank bleach", "emergency"),
        ("дитина ковтнула таблетки", "emergency"),
        ("сын наглотался таблеток", "emergency"),
        ("ابني ابتلع حبوب", "emergency"),
        ("kızım çamaşır suyu içti", "emergency"),
        ("zarokê min heb daqurtand", "emergency"),
        ("де жіночий притулок", "violence"),
        ("Wo ist ein Frauenhaus?", "violence"),
    ],
)
def test_poisoning_and_shelter_cues(text: str, category: str) -> None:
    hit = check(text)
    assert hit is not None and hit.category == category


@pytest.mark.parametrize(
    "text",
    [
        "Nummer vom Giftnotruf",
        "poison centre number",
        "номер токсикологічного центру",
        "телефон токсикологического центра",
        "رقم مركز السموم",
        "zehir danışma hattı numarası",
        "شماره مرکز مسمومیت",
        "hejmara navenda jehrê",
    ],
)
def test_asking_for_the_poison_centre_is_an_emergency_in_every_language(text: str) -> None:
    # Strong: whoever asks for the poison centre's number may have a poisoned child next to them. A
    # weak cue let a confident reading overrule it ("رقم مركز السموم" read as the migration centre).
    hit = check(text)
    assert hit is not None and hit.category == "emergency" and hit.strong


def test_no_keyword_is_listed_twice() -> None:
    # Apostrophes and case are prepared away, so "б'є$" and "бʼє$" would be one keyword written twice.
    _KEYWORDS = NET.keywords
    seen: dict[tuple[str, str, tuple[object, ...]], str] = {}
    for keyword in _KEYWORDS:
        key = (keyword.category, keyword.language, keyword.stems)
        assert key not in seen, f"{keyword.phrase!r} repeats {seen[key]!r}"
        seen[key] = keyword.phrase
    # What every language shares stands once, not again in one language's list.
    shared = {(k.category, k.stems) for k in _KEYWORDS if k.language == "any"}
    for keyword in _KEYWORDS:
        if keyword.language != "any":
            assert (keyword.category, keyword.stems) not in shared, (
                f"{keyword.phrase!r} stands under `any` too"
            )


@pytest.mark.parametrize(
    "text",
    [
        "Meine Tochter hat 38 Grad Fieber, kein Notfall, welcher Kinderarzt hat Samstag auf?",
        "it is not an emergency, but where do I find a doctor on sunday",
        "acil değil ama dişim ağrıyor, hangi dişçi",
        "مش طوارئ بس بدي دكتور اسنان",
        "اورژانسی نیست، دکتر عمومی کجاست",
        "ne acîl e, lê ez li doktorekî digerim",
        # Found by a development set of situational messages written blind (2026-12-07, evening): a
        # danger negated, a figure of speech, a stroke long past.
        "our baby has a rash since this morning, nothing life threatening, which doctor is open",
        "Er hat Husten, nicht lebensgefährlich, aber wo ist am Sonntag ein Arzt?",
        "i am drowning in paperwork from the jobcenter, who can help me read it",
        "since his stroke my grandfather needs a carer at home, who pays for it",
        "Моя мама після інсульту живе з нами, де отримати Pflegegrad?",
        # A second crisis development set (2026-12-07, night): a danger denied, debts "killing me",
        # an electric shock (not violence), a friend's danger long past.
        "I'm not suicidal, but I'd like to talk to someone about the war",
        "Fieber seit gestern, ein Krankenwagen ist nicht nötig, welcher Arzt hat offen?",
        "these debts are killing me, where is free debt advice",
        "на работе ударило током, врач сказал всё нормально, мне заплатят за больничный?",
        "у сина температура, але не екстрено, куди йти в суботу",
        "mein Bruder war in Lebensgefahr, jetzt ist er in der Türkei, kann er nachkommen?",
    ],
)
def test_saying_it_is_not_an_emergency_is_no_alarm(text: str) -> None:
    assert check(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "not an emergency?? my dad is not breathing",
        "kein Notfall, aber mein Mann schlägt mich",
        "acil değil mi? evde yangın var",
        "is this an emergency? she swallowed pills",
        # Not the danger_over phrases either: "safe now" is not "I am safe now".
        "I am not safe now, he is hitting me",
        "ich bin nicht in sicherheit, er schlägt mich",
        "fire in the kitchen, we could not put it out",
        "я не в безпеці, він б'є мене",
        # Nor words with a second meaning: "sure now", "time has passed", "will".
        "ich bin jetzt sicher, er will mich umbringen",
        "уже прошло два часа, а он не дышит",
        "вже пройшла година, а він не дихає",
        "ضربني وبعدين راح يقتلني",
        "the fire is out of control, we are on the third floor",
        "شوهرم گوشیمو خاموش کرد و منو کتک زد",
        "wî telefona min vemirand û li min xist",
        "mein Sohn ist wieder weg, er ist bewusstlos im Park gefunden worden",
        # Nor words that name another way things ended: "we left (the house)", "stayed behind",
        # "we got separated (lost each other)", "it's behind me (someone following)".
        "yangın var, evden ayrıldık ama kardeşim içeride kaldı",
        "yangın çıktı, kardeşim geride kaldı",
        "انفصلنا عن ابني بالحريق وما عم نلاقيه",
        "someone is following me and wants to kill me, its behind me now",
        # Found in review (step 6 of issue #23), so not danger_over phrases: a divorce, a separation,
        # prison, living alone ("the most dangerous time is right after a separation"), "how do I put
        # it out?", "nobody hurt yet", the lights turned off, "safe here" while hiding, "we were safe".
        "Ich bin geschieden, aber mein Ex hat gedroht mich umzubringen, er steht vor der Tür",
        "إذا تطلقت أهلي رح يقتلوني",
        "I left him in the bath for a minute, now he is not breathing",
        "I live alone now, I have chest pain and cannot breathe",
        "Kocam hapiste ama kardeşleri beni öldürecek",
        "The pan is on fire, how do I put it out?",
        "Feuer in der Küche, noch ist niemand verletzt",
        "Işıkları söndürdük, saklanıyoruz, kapıyı kırıyor",
        "Мы потушили свет и прячемся, он ломится в дверь",
        "ez ewle me ku ew ê îşev min bikuje",
        "we were safe now he found us and he wants to kill me",
        # Only violence: a danger to life here stays strong beside the home country.
        "in my home country there was war, now my son is not breathing",
        "в моїй країні була війна, а зараз у мами інсульт",
        "Mein Mann war im Krieg, jetzt schlägt er mich jeden Tag",
        "До войны он таким не был, теперь бьёт меня каждый день",
        # Nor words of violence far away that say where someone is now or that danger is coming.
        "I got back home and he hit me again",
        "he is on the way and says he will kill me",
        "mein Mann ist auf der Flucht vor der Polizei und schlägt mich",
        "он еще дома и бьет меня",
    ],
)
def test_danger_said_to_go_on_keeps_its_keyword_strong(text: str) -> None:
    hit = check(text)
    assert hit is not None and hit.strong


@pytest.mark.parametrize(
    "text",
    [
        "small fire in the kitchen last night, we already put it out, nobody was hurt. will the landlord make us pay?",
        "Letzte Woche Schmerzen in der Brust, die Schmerzen sind wieder weg. Wie finde ich einen Hausarzt?",
        "Dün mutfakta küçük bir yangın çıktı, yangını söndürdük. Ev sahibine söylemem lazım mı?",
        "минулого тижня був біль у грудях, біль вже пройшов, як знайти кардіолога",
        "دیشب آشپزخونه آتیش گرفت، آتش نشانی اومد خاموش کرد، به کی بگیم؟",
        "my ex husband beat me back home, I am safe now, is there counselling for women?",
        # Violence far away (issue #23: "I was beaten back home, how does the asylum interview work?").
        "I was beaten back home, how does the asylum interview work?",
        "In meiner Heimat wurde ich geschlagen. Was passiert bei der Anhörung?",
        "меня избили на родине в полиции, как проходит интервью",
        "чоловік мене бив на батьківщині, чи можна тут до психолога",
        "في بلدي انضربت بالسجن، كيف المقابلة؟",
        "memleketimde dövüldüm, mülakatta anlatmalı mıyım",
        "تو افغانستان طالبان منو کتک زدن، مصاحبه چطوریه",
        "li welêt li min xistin, hevpeyvîn çawa ye",
    ],
)
def test_where_the_danger_is_over_a_strong_keyword_is_a_weak_cue(text: str) -> None:
    hit = check(text)
    assert hit is not None and not hit.strong


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Found by a crisis development set written blind (2026-12-07): chest pain said of someone
        # else, a child who drank a cleaner (the drinking told after the product), locked in at home.
        ("mein Opa sagt, seine Brust tut weh", "emergency"),
        ("my husband says his chest hurts and his arm too", "emergency"),
        ("دكتور، جوزي صدره يوجعه كتير", "emergency"),
        ("babamın göğsü ağrıyor, nefes alamıyor", "emergency"),
        ("مادرم میگه سینه‌اش درد میکنه", "emergency"),
        ("поставила хлорку на пол, а дочка отпила", "emergency"),
        ("залишила засіб на столі, а син відпив", "emergency"),
        ("the toilet cleaner was open and my son drank from it", "emergency"),
        ("bavê min ez li malê girtim û mifte bir", "violence"),
        # A second crisis development set (2026-12-07, late): a child drank a cleaning chemical.
        ("син випив якусь хімію для чистки, його нудить", "emergency"),
        ("дочка выпила какую-то химию для унитаза", "emergency"),
        # A blind adversarial crisis set (2026-12-07, late): a threat in slang, a door kicked in.
        ("er schreibt er kommt heute abend und macht mich kalt", "violence"),
        ("şimdi apartmana girmiş kapıyı tekmeliyor", "violence"),
        # Found in review: a door being broken, "to kill me" as a zu-infinitive, "they will kill me".
        ("er droht mich umzubringen", "violence"),
        ("er bricht gerade die Tür auf", "violence"),
        ("he is breaking down the door", "violence"),
        ("он ломает дверь", "violence"),
        ("він вибиває двері", "violence"),
        ("بدهم يقتلوني", "violence"),
        ("kapıyı kırıyor, içeri girecek", "violence"),
        ("داره در رو میشکنه", "violence"),
        ("derî dişkîne", "violence"),
    ],
)
def test_pain_in_the_chest_a_cleaner_drunk_and_locked_in(text: str, category: str) -> None:
    hit = check(text)
    assert hit is not None and hit.category == category


def test_dying_to_know_is_an_idiom_not_an_alarm() -> None:
    assert check("I'm dying to know when the B1 results come") is None
    assert check("I'm dying, please help") is not None


@pytest.mark.parametrize(
    "text",
    [
        "this is life threatening, he is bleeding a lot",
        "my son is drowning in the lake",
        "she has a stroke right now, her face is hanging",
        "син відпив із пляшки з засобом",
    ],
)
def test_the_same_words_in_danger_still_count(text: str) -> None:
    assert check(text) is not None
