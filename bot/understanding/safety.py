"""Urgent-keyword safety net: danger to life and violence, in all eight languages.

It runs on every message before and regardless of the NLU, so an emergency is recognised even
when Rasa is down, the matcher is unsure or the message is misspelt. Missing an emergency is far
worse than a false alarm (which only puts the emergency numbers first), so the net is generous:

- keywords are word *stems*, matched at the start of a word ("vergift" finds "vergiftet");
- a stem marked with a leading `*` is also found inside a word ("*brand" finds "Wohnungsbrand");
- stems of five or more letters also match with one typo (a wrong, missing, extra or swapped letter);
- case, accents and look-alike letters are folded away (`text.normalise`), so "yangin" finds "yangın";
- Arabic-script words are also tried without their attached conjunctions and article ("والحريق");
- a phrase of several stems matches when they follow each other, at most two other words between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.understanding.text import normalise

Category = Literal["emergency", "violence"]

# One entry per line: the stems of a word or phrase, written as people write them (they are
# normalised like the messages). Marks: `*stem` may stand inside a word; `=stem` must match without
# typo tolerance (it is one letter away from an everyday word: yanıyor/yapıyor, bimirim/bikirim);
# `stem$` is a whole word, not a beginning (diz "thief" vs dizanim "I know");
# a line starting with `?` is a weak cue: it raises the alarm unless the NLU is confident about a
# non-urgent topic (the policy decides). Keep the languages roughly parallel; what is written the
# same in every language (the German names of the help on offer, the hotline's number) stands once,
# in EVERY_LANGUAGE.
# Each list ends with its language in Latin letters (Finglish, Arabizi, Russian and Ukrainian
# transliteration), all `=`: romanized words have no one spelling to be a typo of, so the usual
# variants are listed instead, and typo tolerance would reach everyday words (pozhar/pozhaluysta).
# Every list is checked on every message, and a stem finds every word it begins, so a romanized word
# Russian and Ukrainian share stands once: peredoz, zapah gaz and insult in the Russian list, pahne
# gaz (which finds Russian pahnet gazom too) in the Ukrainian one.
KEYWORDS: dict[Category, dict[str, str]] = {
    "emergency": {
        "de": """
            tablett geschluckt
            pillen geschluckt
            geschluckt tablett
            putzmittel getrunken
            getrunken putzmittel
            reiniger getrunken
            notfall
            notruf
            notarzt
            lebensgefahr
            krankenwagen
            rettungswagen
            =feuer$
            =*feuerwehr
            =*brand
            brennt
            selbstmord
            suizid
            umbringen
            mich töten
            will sterben
            nicht mehr leben
            *vergift
            =gift
            überdosis
            bewusstlos
            ohnmächtig
            krampfanfall
            krampft
            atmet nicht
            keine luft
            herzinfarkt
            schlaganfall
            gesicht hängt
            plötzlich nicht sprechen
            leben beenden
            pilze gegessen
            giftige pilze
            fruchtblase geplatzt
            blutet
            ertrinkt
            explosion
            gasgeruch
            riecht nach gas
            gas riecht
            batterie verschluckt
            knopfzelle verschluckt
            schmerz brust
            brustschmerz
            kopfverletzung
            allergischer schock
            ? rauch$
            einbrecher
            einbruch
            rettungsdienst
            zusammengebrochen
            bricht ein
            eingebrochen
            viel blut
            =blutung
            brücke spring
            dach spring
            balkon spring
            stromschlag
            schaum vor dem mund
            druck brust
            ? verletzt
            greift an
            angegriffen
            überfallen
            ? unfall
            ? polizei
            ? putzmittel
            ? reinigungsmittel
            ? 112
            ? 110
        """,
        "en": """
            swallowed pills
            swallowed tablets
            swallowed medicine
            took too many pills
            drank bleach
            drank cleaning
            emergency
            ambulance
            =fire
            burning
            suicid
            kill myself
            end my life
            end his life
            end her life
            face drooping
            suddenly cant speak
            ate mushrooms
            ate wild mushrooms
            water broke
            waters broke
            want to die
            dont want to live
            poison
            overdose
            unconscious
            seizure
            convulsion
            not breathing
            cant breathe
            heart attack
            =stroke
            bleeding
            losing blood
            lot of blood
            jump off
            throw himself
            throw herself
            throw myself
            electric shock
            electrocuted
            foaming
            foam coming
            foam mouth
            pressure chest
            tight chest
            drowning
            life threatening
            dying
            gas leak
            smell gas
            smells gas
            gas smell
            swallowed battery
            swallowed button battery
            chest pain
            pain chest
            head injury
            fell from
            allergic shock
            ? smoke from
            ? smoke coming
            ? full of smoke
            explosion
            =burglar
            broke into
            broken into
            collapsed
            ? injured
            ? hurt badly
            breaking into
            attacking me
            attacked me
            ? accident
            ? police
            ? cleaning liquid
            ? bleach
            ? 112
            ? 110
        """,
        "uk": """
            ковтну таблет
            проковтну таблет
            наковта
            ковтну батар
            проковтну батар
            пахне газ
            запах газ
            перекосило облич
            раптом не може говор
            покінчити з життям
            наїл гриб
            отруїв гриб
            відійшли води
            випи засіб для
            випи миючий
            екстрен
            швидку
            швидка допомога
            пожеж
            горить
            самогуб
            покінчити собою
            вбити себе
            хочу померти
            не хочу жити
            отрут
            отруї
            без свідомості
            непритомн
            задиха
            ? судом
            не дихає
            погано дихає
            інфаркт
            інсульт
            кровотеч
            кров не зупин
            стрибн з мост
            стрибн з дах
            стрибн з балкон
            піна з рота
            тисне в груд
            пішов під воду
            пішла під воду
            тоне
            біль груд
            травма голови
            ? дим$
            небезпека життя
            грабіжник
            вдерся
            вдерлися
            вдерлись
            ? =злодій
            ? =злодії
            вламується
            передозуван
            =поранен
            впав і не
            впала і не
            людині погано
            не встає
            напали
            напав
            ? аварі
            ? поліці
            ? засіб для чищення
            токсиколог
            =shvydku
            =shvydka =dopomoh
            =pozhezh
            =horyt$
            =samohub
            =ne =dykha
            =bez =svidom
            =otrui
            =otruy
            =otrut
            =krovotech
            =krov =ne =zupyn
            =strybn =z =most
            =strybn =z =dakh
            =vdarylo =strum
            =pina =z =rota
            =tysne =v =grud
            =pishov =pid =vodu
            =pishla =pid =vodu
            ? =politsi
            ? =policij
            =bil =hrud
            =bil =grud
            =vypy =khimi
            =vypy =himi
            =poranen
            ? =avari
            ? =terminovo
            =ne =hochu =zhyt
            =ne =khochu =zhyt
            =pokinch =soboiu
            =pokinch =soboyu
            =pokinch =zhytt
            =pakhne =gaz
            =pahne =gaz
            =vlamu
            =vdersia
            =vderlys
            =napaly
        """,
        "ru": """
            проглоти таблет
            выпи моющ
            выпи средство для
            наглотал
            проглоти батар
            пахнет газ
            запах газ
            перекосило лиц
            вдруг не может говор
            покончить с жизнью
            съел гриб
            наелся гриб
            поел гриб
            отошли воды
            экстрен
            =скорую
            =скорой
            скорая помощь
            пожар
            горит
            самоубий
            суицид
            покончить собой
            убить себя
            хочу умереть
            не хочу жить
            отрав
            яд$
            без сознания
            задыха
            ? судорог
            не дышит
            плохо дышит
            инфаркт
            инсульт
            кровотеч
            кровь не останав
            прыгн с мост
            прыгн с крыш
            прыгн с балкон
            пена изо рта
            давит в груд
            ушел под воду
            ушла под воду
            глаза закат
            ? приступ$
            тонет
            боль груд
            травма головы
            ? дым$
            угроза жизни
            грабител
            ворвал
            ? =вор$
            ? =воры
            ломится
            =скорая$
            передозир
            =ранены
            упал и не
            не встает
            человеку плохо
            вломился
            напали
            напал
            ? авари
            ? полици
            ? моющ
            токсиколог
            ? срочно
            =skoruyu
            =skoraya
            =skoraja
            =skoroj
            =pozhar
            =pojar
            =samoubi
            =ne =dysh
            =bez =soznan
            =otrav
            =hochu =umeret
            =khochu =umeret
            =krovotech
            =krov =ne =ostanav
            =prygn =s =most
            =prygn =s =krysh
            =pena =izo =rta
            =davit =v =grud
            =ushel =pod =vodu
            =ushla =pod =vodu
            =glaza =zakat
            ? =pristup$
            =bol =grud
            =infarkt
            ? =politsi
            ? =policij
            ? =srochno
            =gorit
            =gorim
            =proglot =tablet
            =naglotal
            ? =srotschno
            ? =avari
            =ne =hochu =zhit
            =ne =khochu =zhit
            =pokonch =soboi
            =pokonch =soboj
            =pokonch =zhizn
            =tonet
            =lomitsya
            =lomitsa
            =peredoz
            =zapah =gaz
            =zapakh =gaz
            =napali
            ? =insult$
        """,
        "ar": """
            ابتلع حبوب
            ابتلع دواء
            شرب منظف
            شرب كلور
            طوارئ
            اسعاف
            *تشنج
            *نزف
            دم$ كتير
            دم$ كثير
            حريق
            ريحة غاز
            رائحة غاز
            بلع بطارية
            نار$
            انتحار
            انتحر
            ينهي حيات
            تنهي حيات
            انهي حيات
            وجهه مال
            اكل فطر
            اقتل نفسي
            تسمم
            شرب سم
            فاقد الوعي
            مغمى
            لا يتنفس
            ما عم يتنفس
            مش عم يتنفس
            مش قادر يتنفس
            وجع صدر
            الم صدر
            نوبة قلبية
            جلطة
            نزيف
            يرمي نفسه
            سيرمي نفسه
            ترمي نفسها
            ارمي نفسي
            يرمي حاله
            ترمي حالها
            ارمي حالي
            مسكته الكهربا
            مسكتها الكهربا
            صعقة كهرب
            رغوة من تم
            رغوة من فم
            طالع رغوة
            صرع$
            نوبة صرع
            يغرق
            خطر على الحياة
            الدفاع المدني
            اطفاء
            ما بدي عيش
            لا اريد العيش
            لص
            ? =حرامي
            يكسر باب
            جرعة زائدة
            اطفائي
            جرحى
            ? جريح
            ? مجروح
            يهاجمني
            هاجمني
            ? حادث
            ? الشرطة
            ? مواد تنظيف
            سموم
            =is3af
            =es3af
            =isaaf
            =esaaf
            =7ari2
            =7ariq
            =hariq
            =inti7ar
            =enti7ar
            =tasamum
            =tasammum
            =ma =yetnaf
            =ma =yitnaf
            =mish =yetnaf
            =msh =yetnaf
            ? =shorta
            ? =shurta
            =shirb =tanzif
            =shireb =tanzif
            =shirib =tanzif
            =shirab =tanzif
            =shrib =tanzif
            ? =mawad =tanzif
            =yinzif
            =yinzef
            =yenzef
            =ynzef
            =ynzif
            =bynzef
            =byinzif
            =binzif
            =tinzif
            =tenzef
            =armi =7ali
            =armi =nafsi
            =yirmi =7alo
            =yermi =7alo
            =yirmi =nafso
            =yermi =nafso
            =maskato =kahrab
            =maskata =kahrab
            =maskito =kahrab
            =mesketo =kahrab
            =rghwe
            =rghwa
            =raghwe
            =raghwa
            =byer3osh
            =byir3ash
            =sar3$
            =nawbet =sar3
            =bila3 =7ubub
            =bala3 =7ubub
            =bila3 =dawa
            =bala3 =dawa
            =yeksor =bab
            =yiksir =bab
            ? =7arami
            ? =7aramy
            ? =7arame
            ? =7ubub
            ? =7bub
            =ma =bdi =3ish
            =ma =bdi =3eesh
            =ma =bidi =3ish
            =ma =bidi =3eesh
            =ma =abi =a3ish
            =ma =abi =a3eesh
            =a2tol =7ali
            =a2tel =7ali
            =a2tol =nafsi
            =a2tel =nafsi
            =yighra2
            =yeghra2
            =jalta
            =jal6a
            =re7et =gaz
            =ri7et =gaz
            =ri7a =gaz
        """,
        "tr": """
            ? hap yut
            ? ilaç yut
            çamaşır suyu iç
            deterjan iç
            acil$
            acilen
            ambulans
            nöbet geçir
            havale geçir
            yangın
            silah sesi
            gaz kok
            pil yut
            =yanıyor
            =intihar
            kendimi öldür
            ölmek istiyorum
            yaşamak istemiyorum
            =zehir
            bayıldı
            baygın
            nefes almıyor
            kalp krizi
            göğüs ağrı
            göğsüm ağrı
            ? duman
            felç
            yüzü kaydı
            aniden konuşamı
            hayatıma son ver
            hayatına son ver
            mantar yedi
            suyum geldi
            =kanama
            kan durmuyor
            =kaniyor
            kan kaybed
            kan kaybet
            kopruden atla
            catidan atla
            balkondan atla
            elektrik carp
            agzindan kopuk
            kopuk geliyor
            boğuluyor
            hayati tehlike
            itfaiye
            hırsız
            aşırı doz
            ? yaralı
            saldırıyor
            saldırdı
            ? kaza$
            ? kazası
            ? =kazada
            ? polis
            ? deterjan
            ? çamaşır suyu
        """,
        "fa": """
            ? قرص خورد
            قرص زیاد خورد
            دوا زیاد خورد
            خود کشی
            قرص بلعید
            وایتکس خورد
            مواد شوینده خورد
            اورژانس
            نمیخواهم زنده
            یک طرف رویش
            بوی گاز
            باتری قورت
            آمبولانس
            تشنج
            ? میخوام بپرم
            ? میخواد بپره
            آتش
            آتیش
            خودکشی
            به زندگیم پایان
            یک طرف صورت
            یکدفعه گپ زده نمیتان
            قارچ خورد
            سماروغ خورد
            کیسه آب پاره
            خودم را بکشم
            =بمیرم
            نمیخوام زنده
            مسموم
            سم$
            بیهوش
            نفس نمی کشد
            نفس نمیکش
            سکته
            خونریزی
            خون بند نمی
            پل بپر
            بام بپر
            برق گرفتش
            برق گرفته شد
            کف از دهان
            کف از دهن
            صرع$
            درد سینه
            ? دود$
            غرق
            خطر جانی
            اوردوز
            =غش$
            غش کرد
            ? زخمی
            ? دزد
            حمله
            ? تصادف
            ? پلیس
            ? پولیس
            ? ظرفشویی
            ? سفیدکننده
            =orzhans
            =orjans
            =urjans
            =atash$
            =atash =gereft
            =atish
            =khodkosh
            =khodkush
            =khod =koshi
            =bemiram
            ? =mikham =beparam
            ? =mikhad =bepare
            =masmoom
            =masmum
            =bihoosh
            =bihush
            =bihosh
            =nafas =nemikesh
            =khoonrizi
            =khunrizi
            =khun =band =nemi
            =khoon =band =nemi
            =khun =band =nami
            =khoon =band =nami
            =pol =bepar
            =baam =bepar
            =bam =bepar
            =bargh =gereftesh
            =barq =gereftesh
            =kaf =az =dahan
            =kaf =az =dahn
            =sakte$
            =nafas =nemekash
            =sefidkonand =khord
            ? =sefidkonand
            =dard =sine
            =dard =sina
            =bihal
            ? =ghors =khord
            ? =qors =khord
            ? =dawa =khord
            ? =daru =khord
            ? =dozd$
            =khodamo =mikosh
            =khodam =ro =mikosh
            =nemikham =zende
            =nemikhaam =zende
            =nemikham =zinda
            =namikham =zinda
            =ghargh
            =gharq
            =bu =ye =gaz
            =buye =gaz
            =booye =gaz
            =boye =gaz
            =tashanoj
            =tashannoj
        """,
        "ku": """
            heb daqurtand
            derman daqurtand
            vexwar paqij
            paqij vexwar
            sabûn vexwar
            ? heb vexwar
            acîl$
            ambulans
            agir
            dişewit
            xwekuştin
            xwe bikujim
            dawî li jiyana xwe
            rûyê xwar
            nişka nikare biaxiv
            kivark xwar
            ava wê hat
            =bimirim
            naxwazim bijîm
            jehr
            bêhiş
            bêhna xwe nastîne
            bêhn nade
            nefes nagire
            nefes nade
            nefes nake
            nikare nefes
            nikarim nefes
            sîng diêş
            krîza dil
            felç
            dixeniq
            xeniqî
            teqîn
            şewat
            bêhna gaz
            hişê xwe winda
            =dimire
            ket ranabe
            ? lezgîn
            êşa sîng
            ? dûman
            xwîn
            ? xwe bavêj
            elektrîk lê xist
            elektrîk lê da
            ceryan lê xist
            kef ji dev
            batarya daqurt
            pîl daqurt
            xetera jiyanê
            doza zêde
            ? birîndar
            ? diz$
            êrîş
            ? qeza
            ? polîs
            ? şûştin
        """,
    },
    "violence": {
        "de": """
            schlägt mich
            schlagen mich
            geschlagen
            greift mich
            und schlägt
            verprügelt
            *vergewaltig
            misshandel
            tritt mich
            würgt
            gewürgt
            stalking
            zwangsheirat
            zwangsehe
            zwangsverheirat
            sexuell belästig
            ? belästigt mich
            ? fasst mich an
            angst vor *mann
            ? hause geflohen
            ? hause weggelaufen
            ? zuhause geflohen
            ? *gewalt
            ? bedroht
            ? droht mir
            ? bedrohung
            *missbrauch
            ? messer
        """,
        "en": """
            women's shelter
            ? safe house
            ? pushed me
            hits me
            hitting me
            hit me
            beats me
            beat me
            =beaten
            abusive
            rape
            raped
            sexual assault
            stalking
            kill me
            forced marriage
            forc marry
            sexual harass
            sexually harass
            ? harass
            ? touches me
            afraid of husband
            scared of husband
            hurts me
            strangl
            choked me
            women s shelter
            ? fled from home
            ? fled our home
            ? ran away from home
            ? violence
            ? violent
            abuse
            ? threaten
            ? knife
        """,
        "uk": """
            жіночий притулок
            примусов шлюб
            примусов одруж
            силоміць одруж
            =prymusov =shliub
            =prymusov =odruzh
            домагає
            =domahaie
            =domahaiet
            притулок для жінок
            б'є$
            б'ють
            побив
            бив мене
            била мене
            мене бив
            мене била
            душив
            душила
            задуш
            вб'є$
            вб'ю$
            вбити мене
            вдарив
            згвалт
            ґвалт
            домагання
            боюся чоловіка
            ? втек дом
            ? втік дом
            ? насильств
            ? насилля
            ? погрож
            ? ніж
            =bye =mene
            =byut =mene
            =pobyv
            ? =pohroz
            =vdaryv
            =zgvalt
            =mene =bye
            =mene =byut
            =bje$
        """,
        "ru": """
            женский приют
            принудительн брак
            насильно замуж
            насильно жен
            =prinuditeln =brak
            =nasilno =zamuzh
            =nasilno =zhen
            домогает
            ? пристает
            =domogaet
            ? =pristaet
            приют для женщин
            бьет
            бьют
            избил
            бил меня
            била меня
            меня бил
            меня била
            душил
            задуш
            убьет$
            убью$
            убить меня
            ударил
            изнасил
            домогатель
            боюсь мужа
            ? сбежал дом
            ? убежал дом
            ? насили
            ? угрожа
            ? нож
            =bet =menya
            =byot =menya
            =bjot =menja
            =izbil
            ? =ugroz
            =udaril
            =iznasil
            =menya =bet
            =menya =byot
            =menja =bjot
            =ugrozhaet =ubit
        """,
        "ar": """
            يضربني
            زواج قسري
            زواج بالاجبار
            زواج غصب
            يجوزوني غصب
            يزوجوني غصب
            يزوجوني بالقوة
            =zawaj =ijbar
            =zawaj =ghasb
            =zawaj =qasri
            =zawaj =2asri
            =yzawwjuni =ghasb
            =yzawjuni =ghasb
            =yjawzouni =ghasb
            =yjawzuni =ghasb
            ضربني
            *خنقني
            *ضرب
            اغتصاب
            اغتصب
            تحرش
            يتحرش
            يعتدي
            يعنف
            زواج بالاكراه
            خايفه من جوز
            اخاف من زوج
            بيت حمايه
            ? هرب البيت
            ? هربت البيت
            ? هربنا البيت
            ? عنف
            ? يهددني
            ? تهديد
            ? سكين
            =yedrobni
            =yedrabni
            =yidrubni
            =yodrobni
            =bidrobni
            =darabni
            =dharabni
            =yidhrub
            =yudhrub
            =yadhrub
            =ightisab
            =eghtisab
            =ightesab
            =ta7arosh
            =yet7arrash
            =yit7arrash
            =yet7arash
            =yit7arash
            =bet7arrash
            =beyet7arrash
            ? =bilmesni
            ? =byilmesni
            ? =bidrbo
            ? =bidrobo
            =ta7arush
            =bi2telni
            =yi2telni
            =ye2telni
            ? =bihadedni
            ? =yhaddidni
            ? =yhadedni
            =ydrobni
            =ydrabni
        """,
        "tr": """
            dövüyor
            boğmaya çalış
            beni boğ
            dövül
            =dövdü
            vurdu
            vuruyor
            dayak
            tecavüz
            taciz
            öldürecek
            zorla evlendir
            zorla evlilik
            zorla evlen
            eşimden kork
            sığınma evi
            ? evden kaç
            ? şiddet
            ? tehdit
            ? bıçak
        """,
        "fa": """
            کتک
            لت کوب
            منو میزن
            منو زد
            مره میزن
            مرا میزن
            منو میکش
            مره میکش
            تره میکش
            ترا میکش
            مادرمو میزن
            mano mizan
            تجاوز
            ازدواج اجباری
            نکاح اجباری
            به زور شوهر
            =ezdevaj =ejbar
            =ezdewaj =ejbar
            =nekah =ejbar
            شوهرم ترس
            خانه امن
            ? خانه فرار
            ? خونه فرار
            ? خشونت
            ? تهدید
            ? آزار
            آزار جنسی
            مزاحمت جنسی
            =azar =jensi
            =aazar =jensi
            =mozahemat =jensi
            ? اذیتم
            ? چاقو
            ? مشاوره زنان
            =mano =zad
            =kotak
            =tajavoz
            ? =khoshoonat
            ? =khoshunat
            =mikoshamet
            =mikoshadet
            ? =tahdid
        """,
        "ku": """
            li min dide
            zorê bizewic
            zorê dizewic
            zewaca bi zorê
            li min dixe
            li min xist
            li min didin
            li min dixin
            te bikujim
            min bikuje
            lêdide
            lêxist
            destdirêjî
            tecawiz
            mêr ditirs
            mala parastinê
            ? ji malê reviy
            ? ji malê direv
            ? dixe$
            ? şîdet
            ? tundî
            ? tundiya
            ? tehdît
            ? gef li min
            ? gef dixw
            ? bi kêrê$
            ? kêr$
        """,
    },
}

# Written the same whatever the user's language: the help on offer by its German name (also in
# Cyrillic letters) and the violence hotline's number. The Frauenhaus is strong: whoever looks for
# one may need it tonight.
EVERY_LANGUAGE: dict[Category, str] = {
    "violence": """
        frauenhaus
        116016
        116 016
        ? frauenberatung
        ? hilfetelefon
        ? фрауенхаус
        ? фрауенберат
    """,
}

# Attached Arabic/Persian conjunctions, prepositions and the article, longest first.
# Someone who says in so many words that it is NOT an emergency ("my son has a fever, but it is not
# an emergency") does not get the alarm for the word "emergency" itself; every other keyword of the
# message still counts ("not an emergency?? he is not breathing" stays an emergency).
NOT_AN_EMERGENCY = (
    "kein notfall", "keine notfall", "nicht notfall",
    "not an emergency", "no emergency", "not emergency", "isnt an emergency", "isnt emergency",
    "acil değil", "acil bir durum değil", "acil bir şey değil",
    "مش طوارئ", "مو طوارئ", "ليست طوارئ", "ليس طوارئ", "مش حالة طوارئ", "ليست حالة طوارئ",
    "اورژانسی نیست", "اورژانس نیست",
    "ne acîl e", "ne rewşeke acîl e", "ne tiştekî acîl e",
)  # fmt: skip

_PROCLITICS = ("وال", "بال", "فال", "کال", "لل", "ال", "و", "ف", "ب", "ل", "ک")
MAX_GAP = 2  # words allowed between the stems of a phrase ("afraid of my husband")
FUZZY_FROM = 6  # Latin and Cyrillic stems of at least this many letters tolerate one typo


@dataclass(frozen=True, slots=True)
class SafetyHit:
    category: Category
    strong: bool  # False for a weak cue, which a confident non-urgent NLU reading may overrule
    language: str  # the language of the keyword list that matched (not necessarily the user's), or "any"
    keyword: str  # for tests and debugging; never log it together with the message


@dataclass(frozen=True, slots=True)
class _Stem:
    text: str
    inside: bool  # may stand inside a word (German compounds)
    fuzzy: bool  # tolerates one typo
    whole: bool  # must be the whole word


@dataclass(frozen=True, slots=True)
class _Keyword:
    category: Category
    strong: bool
    language: str
    phrase: str
    stems: tuple[_Stem, ...]


def _prepare(text: str) -> str:
    # Apostrophes join word parts (Ukrainian б'є, English don't, Turkish Melle'de).
    return normalise(text.replace("'", "").replace("ʼ", "").replace("’", ""))


def _stems(part: str) -> list[_Stem]:
    exact = "=" in part[:2]
    inside = "*" in part[:2]
    whole = part.endswith("$")
    text = _prepare(part.lstrip("=*").rstrip("$"))
    return [
        _Stem(
            piece,
            inside,
            fuzzy=not exact and not whole and len(piece) >= FUZZY_FROM and _is_latin_or_cyrillic(piece),
            whole=whole,
        )
        for piece in text.split()
    ]


def _is_latin_or_cyrillic(word: str) -> bool:
    # Arabic-script roots are short and one letter apart from everyday words (تهديد/تمديد), so
    # typo tolerance would raise more false alarms than it catches there.
    return all(ch.isdigit() or "a" <= ch <= "z" or "\u0400" <= ch <= "\u04ff" for ch in word)


def _compile() -> tuple[_Keyword, ...]:
    blocks = [
        (category, language, block)
        for category, by_language in KEYWORDS.items()
        for language, block in by_language.items()
    ]
    blocks += [(category, "any", block) for category, block in EVERY_LANGUAGE.items()]
    keywords = []
    for category, language, block in blocks:
        for line in block.splitlines():
            phrase = line.strip()
            if not phrase:
                continue
            strong = not phrase.startswith("?")
            stems = tuple(stem for part in phrase.lstrip("? ").split() for stem in _stems(part))
            if stems:
                keywords.append(_Keyword(category, strong, language, phrase, stems))
    return tuple(keywords)


_KEYWORDS = _compile()


def _within_one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance <= 1 (one substitution, insertion, deletion or swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differences = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differences) == 1:
            return True
        first = differences[0]
        return (
            len(differences) == 2
            and differences[1] == first + 1
            and a[first] == b[first + 1]
            and a[first + 1] == b[first]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _candidates(word: str) -> list[str]:
    return [word] + [word[len(p) :] for p in _PROCLITICS if word.startswith(p) and len(word) > len(p) + 1]


def _word_matches(candidates: list[str], stem: _Stem) -> bool:
    """`candidates`: a word and the word without each particle it may start with (`_candidates`)."""
    for candidate in candidates:
        if stem.whole:
            if candidate == stem.text:
                return True
            continue
        if candidate.startswith(stem.text) or (stem.inside and stem.text in candidate):
            return True
        if stem.fuzzy and candidate[:1] == stem.text[:1]:
            # A typo inside the stem; the word may go on with an ending ("vergiftet").
            size = len(stem.text)
            lengths = (size, size + 1) if len(candidate) > size else (size - 1, size)
            if any(_within_one_edit(candidate[:length], stem.text) for length in lengths):
                return True
    return False


def _phrase_at(words: list[list[str]], start: int, stems: tuple[_Stem, ...]) -> bool:
    position = start
    for number, stem in enumerate(stems):
        window = range(position, min(len(words), position + (1 if number == 0 else MAX_GAP + 1)))
        found = next((index for index in window if _word_matches(words[index], stem)), None)
        if found is None:
            return False
        position = found + 1
    return True


_ORDER = sorted(_KEYWORDS, key=lambda k: (not k.strong, k.category != "violence"))


_NOT_AN_EMERGENCY = re.compile(
    "|".join(rf"(?<!\w){re.escape(_prepare(phrase))}(?!\w)" for phrase in NOT_AN_EMERGENCY)
)


def check(text: str) -> SafetyHit | None:
    """The most telling urgent keyword in `text`, or None: strong before weak, and violence before
    emergency (it needs its own help line)."""
    # Each word with its forms without attached particles, worked out once for all keywords.
    words = [_candidates(word) for word in _NOT_AN_EMERGENCY.sub(" ", _prepare(text)).split()]
    # A stem matches a word only where the word (or the word without its attached Arabic-script
    # particles) starts with the stem's first letter, unless the stem may stand inside a word: so a
    # keyword's phrase can only start at the words that begin with its first letter.
    starts: dict[str, list[int]] = {}
    for position, candidates in enumerate(words):
        for initial in {candidate[:1] for candidate in candidates}:
            starts.setdefault(initial, []).append(position)
    everywhere = range(len(words))
    for keyword in _ORDER:
        first = keyword.stems[0]
        positions = everywhere if first.inside else starts.get(first.text[:1], ())
        if any(_phrase_at(words, start, keyword.stems) for start in positions):
            return SafetyHit(keyword.category, keyword.strong, keyword.language, keyword.phrase)
    return None
