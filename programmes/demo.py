"""The demo catalogue of Chiang Mai: providers, venues, categories, programmes, courses and
sessions, in Thai with English translations. ILLUSTRATIVE DATA: the organisations are
modelled on the kinds that exist in the city, not a record of what they offer.

`manage.py load_demo` calls `load_demo_data(stdout)` after the city app's hook (the city, its
16 subdistricts 500101..500116 from geothai, the users). Deterministic (a fixed seed; dates
relative to today, so there are always past, running and upcoming courses), idempotent (does
nothing when the city already has providers) and fast (bulk inserts; the search document and
schedule summary are computed once at the end by the same services the app uses)."""

from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from learningcity.city.demo import demo_city_get
from learningcity.city.models import District
from programmes import services
from programmes.models import Category, Course, Programme, Provider, ProviderMembership, Session, Venue

DEMO_SEED = 2569
DEMO_PROVIDER_EMAIL = "provider@demo.learningcity.local"
DEMO_PROVIDER_PASSWORD_DEFAULT = "demo-provider-2569"  # noqa: S105 - documented demo password

K = Provider.Kind
A = Venue.Accessibility

# key: (kind, name_th, name_en)
PROVIDERS = {
    "edu": (K.MUNICIPAL, "กองการศึกษา เทศบาลนครเชียงใหม่", "Education Division, Chiang Mai Municipality"),
    "health": (
        K.MUNICIPAL,
        "กองสาธารณสุขและสิ่งแวดล้อม เทศบาลนครเชียงใหม่",
        "Public Health and Environment Division, Chiang Mai Municipality",
    ),
    "culture": (K.MUNICIPAL, "หอศิลปวัฒนธรรมเมืองเชียงใหม่", "Chiang Mai City Arts and Cultural Centre"),
    "library": (K.LIBRARY, "ห้องสมุดประชาชนเทศบาลนครเชียงใหม่", "Chiang Mai Municipal Public Library"),
    "park": (K.LIBRARY, "อุทยานการเรียนรู้เมืองเชียงใหม่", "Chiang Mai City Learning Park"),
    "cc_phueak": (K.COMMUNITY_CENTRE, "ศูนย์การเรียนชุมชน กศน. ตำบลช้างเผือก", "Chang Phueak Community Learning Centre"),
    "cc_hoi": (K.COMMUNITY_CENTRE, "ศูนย์การเรียนชุมชน กศน. ตำบลหนองหอย", "Nong Hoi Community Learning Centre"),
    "cc_suthep": (K.COMMUNITY_CENTRE, "ศูนย์การเรียนชุมชน กศน. ตำบลสุเทพ", "Suthep Community Learning Centre"),
    "uni": (
        K.UNIVERSITY,
        "สถาบันการเรียนรู้ตลอดชีวิต มหาวิทยาลัยนครพิงค์",
        "Nakhon Ping University Lifelong Learning Institute",
    ),
    "elderly": (K.ELDERLY_SCHOOL, "โรงเรียนผู้สูงอายุเทศบาลนครเชียงใหม่", "Chiang Mai Municipal Elderly School"),
    "ngo": (K.NGO, "มูลนิธิเพื่อนเด็กและครอบครัวล้านนา", "Lanna Children and Families Foundation"),
    "school": (K.SCHOOL, "โรงเรียนเทศบาลวัดเกตการาม", "Wat Ket Karam Municipal School"),
    "studio": (K.PRIVATE, "สตูดิโอทักษะดิจิทัลนิมมาน", "Nimman Digital Skills Studio"),
}

STEP, TOILET, LOOP, SIGN, PARK, BUS = (
    A.STEP_FREE,
    A.ACCESSIBLE_TOILET,
    A.HEARING_LOOP,
    A.SIGN_LANGUAGE,
    A.PARKING,
    A.PUBLIC_TRANSPORT,
)

# (provider key or None = shared, district code, name_th, name_en, address_th, lat, lng, accessibility)
VENUES = [
    ("edu", "500101", "ศูนย์การเรียนรู้เทศบาลนครเชียงใหม่", "Municipal Learning Centre", "ถนนพระปกเกล้า", "18.795300", "98.989000", [STEP, TOILET, LOOP, BUS]),
    ("library", "500102", "ห้องสมุดประชาชน สาขาประตูท่าแพ", "Public Library, Tha Phae Gate branch", "ถนนราชดำเนิน", "18.787600", "98.982000", [STEP, TOILET, BUS]),
    ("library", "500106", "ห้องสมุดประชาชน สาขาวัดเกต", "Public Library, Wat Ket branch", "ถนนเจริญราษฎร์", "18.790500", "99.004000", [STEP, PARK]),
    ("park", "500105", "อุทยานการเรียนรู้ ห้องกิจกรรม", "Learning Park activity room", "ถนนช้างคลาน", "18.780000", "99.000000", [STEP, TOILET, LOOP, PARK, BUS]),
    ("park", "500105", "อุทยานการเรียนรู้ ห้องดิจิทัล", "Learning Park digital lab", "ถนนช้างคลาน", "18.780200", "99.000300", [STEP, TOILET, PARK, BUS]),
    ("cc_phueak", "500107", "ศูนย์การเรียนชุมชนช้างเผือก", "Chang Phueak community learning centre", "ถนนโชตนา", "18.805000", "98.980000", [STEP, PARK]),
    ("cc_hoi", "500111", "ศูนย์การเรียนชุมชนหนองหอย", "Nong Hoi community learning centre", "ถนนมหิดล", "18.760000", "99.012000", [PARK]),
    ("cc_suthep", "500108", "ศูนย์การเรียนชุมชนสุเทพ", "Suthep community learning centre", "ถนนสุเทพ", "18.796000", "98.965000", [STEP]),
    ("uni", "500108", "อาคารเรียนรวม สถาบันการเรียนรู้ตลอดชีวิต", "Lifelong Learning Institute lecture building", "ถนนห้วยแก้ว", "18.803000", "98.961000", [STEP, TOILET, LOOP, SIGN, PARK, BUS]),
    ("elderly", "500109", "โรงเรียนผู้สูงอายุ ศาลาวัดแม่เหียะ", "Elderly School, Wat Mae Hia hall", "ตำบลแม่เหียะ", "18.752000", "98.962000", [STEP, TOILET, PARK]),
    ("elderly", "500104", "โรงเรียนผู้สูงอายุ ศาลาชุมชนช้างม่อย", "Elderly School, Chang Moi hall", "ถนนช้างม่อย", "18.793000", "99.000000", [STEP, TOILET]),
    ("school", "500106", "โรงเรียนเทศบาลวัดเกตการาม", "Wat Ket Karam Municipal School", "ถนนเจริญราษฎร์", "18.792000", "99.006000", [STEP, TOILET, PARK]),
    ("culture", "500101", "หอศิลปวัฒนธรรมเมืองเชียงใหม่", "Chiang Mai City Arts and Cultural Centre", "ถนนพระปกเกล้า", "18.790500", "98.988000", [STEP, TOILET, LOOP, BUS]),
    ("studio", "500108", "สตูดิโอทักษะดิจิทัล นิมมาน", "Nimman Digital Skills Studio", "ถนนนิมมานเหมินท์", "18.799000", "98.968000", [BUS]),
    ("ngo", "500105", "บ้านเรียนรู้ครอบครัว", "Family Learning House", "ซอยวัดพวกเปีย", "18.776000", "98.999000", [STEP, TOILET]),
    ("health", "500101", "ศูนย์บริการสาธารณสุข เทศบาล", "Municipal Health Centre", "ถนนมูลเมือง", "18.794000", "98.993000", [STEP, TOILET, PARK]),
    (None, "500103", "ศาลาอเนกประสงค์ชุมชนหายยา", "Hai Ya community hall", "ถนนทิพเนตร", "18.777000", "98.983000", [STEP]),
    (None, "500102", "ลานกิจกรรมสวนสาธารณะหนองบวกหาด", "Nong Buak Hat park activity lawn", "ถนนบำรุงบุรี", "18.782000", "98.979000", [STEP, BUS]),
    (None, "500110", "สวนผักชุมชนป่าแดด", "Pa Daet community garden", "ตำบลป่าแดด", "18.756000", "98.985000", [PARK]),
    (None, "500112", "ศูนย์พัฒนาเด็กเล็กเทศบาล ท่าศาลา", "Tha Sala municipal child development centre", "ตำบลท่าศาลา", "18.783000", "99.018000", [STEP, TOILET, PARK]),
    (None, "500113", "ศาลาชุมชนหนองป่าครั่ง", "Nong Pa Khrang community hall", "ตำบลหนองป่าครั่ง", "18.778000", "99.015000", [STEP, PARK]),
    (None, "500114", "ศูนย์ชุมชนฟ้าฮ่าม", "Fa Ham community centre", "ตำบลฟ้าฮ่าม", "18.812000", "99.008000", [STEP, TOILET]),
    (None, "500115", "ศาลาชุมชนป่าตัน", "Pa Tan community hall", "ถนนโชตนา", "18.815000", "98.998000", [PARK]),
    (None, "500116", "ลานกิจกรรมริมน้ำปิง สันผีเสื้อ", "Ping riverside activity area, San Phisuea", "ตำบลสันผีเสื้อ", "18.819000", "99.005000", [STEP, PARK]),
]  # fmt: skip

# slug: (name_th, name_en, building blocks, SDG 4 targets)
CATEGORIES = {
    "early-years": ("ปฐมวัยและครอบครัว", "Early years and families", [1, 2], ["4.2"]),
    "school-support": ("เสริมการเรียนของเด็กและเยาวชน", "Learning support for children and youth", [1, 5], ["4.1"]),
    "languages": ("ภาษา", "Languages", [3, 5], ["4.4"]),
    "digital": ("ทักษะดิจิทัล", "Digital skills", [4], ["4.4"]),
    "careers": ("อาชีพและการประกอบการ", "Careers and enterprise", [3], ["4.3", "4.4"]),
    "health": ("สุขภาพและการดูแลตนเอง", "Health and well-being", [2, 6], []),
    "ageing": ("การเรียนรู้ของผู้สูงอายุ", "Active ageing", [2, 6], ["4.3"]),
    "arts": ("ศิลปะ ดนตรี และหัตถกรรม", "Arts, music and crafts", [6], []),
    "lanna": ("วัฒนธรรมล้านนาและภูมิปัญญาท้องถิ่น", "Lanna culture and local wisdom", [2, 6], ["4.7"]),
    "environment": ("สิ่งแวดล้อมและเกษตรในเมือง", "Environment and urban farming", [2, 6], ["4.7"]),
    "citizenship": ("พลเมืองและชุมชน", "Citizenship and community", [2, 6], ["4.7"]),
    "inclusion": ("การเรียนรู้เพื่อทุกคน", "Learning for everyone", [1, 5], ["4.5"]),
    "food": ("อาหารและการทำอาหาร", "Food and cooking", [2, 3], []),
}


class P(NamedTuple):
    provider: str
    categories: list[str]
    age_min: int
    age_max: int | None
    format: str
    fee: int
    title_th: str
    title_en: str
    summary_th: str
    summary_en: str


IN, ON, HY = Programme.Format.IN_PERSON, Programme.Format.ONLINE, Programme.Format.HYBRID

PROGRAMMES = [
    # Early childhood 0-5 (with a parent or carer)
    P("ngo", ["early-years"], 0, 5, IN, 0, "นิทานก่อนนอนกับพ่อแม่", "Bedtime stories with parents", "อ่านนิทานและเล่นบทบาทสมมติสำหรับเด็กเล็กกับผู้ปกครอง", "Reading aloud and role play for young children and their parents"),
    P("library", ["early-years"], 2, 5, IN, 0, "เล่านิทานวันเสาร์ที่ห้องสมุด", "Saturday storytime at the library", "เล่านิทาน ร้องเพลง และงานประดิษฐ์ง่าย ๆ", "Stories, songs and simple crafts"),
    P("park", ["early-years", "arts"], 3, 5, IN, 0, "ศิลปะสร้างสรรค์สำหรับเด็กเล็ก", "Creative art for little ones", "ระบายสี ปั้นดิน และเรียนรู้ผ่านการเล่น", "Painting, clay and learning through play"),
    P("health", ["early-years", "health"], 1, 4, IN, 0, "ดนตรีและการเคลื่อนไหวสำหรับเด็กเล็ก", "Music and movement for toddlers", "เคลื่อนไหวตามจังหวะเพลงเพื่อพัฒนากล้ามเนื้อและภาษา", "Moving to music to build muscles and language"),
    P("ngo", ["early-years", "inclusion"], 0, 5, IN, 0, "เล่นและเรียนรู้สำหรับเด็กพิเศษและครอบครัว", "Play and learn for children with special needs", "กิจกรรมกระตุ้นพัฒนาการโดยนักกิจกรรมบำบัด", "Developmental play led by occupational therapists"),
    P("edu", ["early-years"], 3, 5, IN, 0, "เตรียมความพร้อมก่อนเข้าอนุบาล", "Getting ready for kindergarten", "ฝึกทักษะการช่วยเหลือตนเองและการเข้าสังคม", "Self-care and social skills before school starts"),
    P("library", ["early-years", "languages"], 3, 5, IN, 0, "ภาษาอังกฤษผ่านเพลงสำหรับเด็กเล็ก", "English through songs for young children", "ร้องเพลงและเล่นเกมภาษาอังกฤษกับผู้ปกครอง", "English songs and games with a parent"),
    P("cc_phueak", ["early-years", "food"], 3, 5, IN, 50, "หนูน้อยเข้าครัว", "Little cooks", "ทำขนมง่าย ๆ กับผู้ปกครองและเรียนรู้เรื่องอาหาร", "Simple baking with a parent, learning about food"),
    P("park", ["early-years", "environment"], 4, 5, IN, 0, "นักสำรวจธรรมชาติตัวน้อย", "Little nature explorers", "ส่องแมลง เก็บใบไม้ และเล่านิทานธรรมชาติ", "Bug hunts, leaf collecting and nature stories"),
    P("culture", ["early-years", "lanna"], 2, 5, IN, 0, "เพลงกล่อมเด็กล้านนา", "Lanna lullabies and rhymes", "เพลงกล่อมและคำคล้องจองภาษาเหนือสำหรับครอบครัว", "Northern Thai lullabies and rhymes for families"),
    # School age 6-14
    P("school", ["school-support"], 6, 12, IN, 0, "สอนการบ้านคณิตศาสตร์หลังเลิกเรียน", "After-school maths homework club", "ครูอาสาช่วยทำการบ้านและทบทวนบทเรียน", "Volunteer teachers help with homework and revision"),
    P("park", ["digital", "school-support"], 9, 14, IN, 0, "เขียนโปรแกรมเบื้องต้นด้วย Scratch", "Coding with Scratch for beginners", "สร้างเกมและแอนิเมชันด้วยการเขียนโปรแกรมแบบบล็อก", "Make games and animations with block coding"),
    P("park", ["digital"], 10, 14, IN, 200, "หุ่นยนต์และเซนเซอร์สำหรับเด็ก", "Robots and sensors for kids", "ประกอบหุ่นยนต์และเขียนโปรแกรมควบคุม", "Build a robot and program it"),
    P("library", ["school-support"], 7, 12, IN, 0, "ชมรมนักอ่านรุ่นเยาว์", "Young readers' club", "อ่านหนังสือด้วยกัน แลกเปลี่ยน และเขียนบันทึกการอ่าน", "Read together, talk about books and keep a reading journal"),
    P("ngo", ["school-support", "inclusion"], 6, 14, IN, 0, "ติวเข้มการอ่านออกเขียนได้", "Reading and writing catch-up", "สอนเสริมการอ่านเขียนภาษาไทยเป็นกลุ่มเล็ก", "Small-group Thai reading and writing support"),
    P("culture", ["arts", "lanna"], 8, 14, IN, 0, "ฟ้อนเล็บสำหรับเด็ก", "Lanna fingernail dance for children", "ฝึกฟ้อนเล็บและเรียนรู้ประวัติการฟ้อนล้านนา", "Learn the fingernail dance and its history"),
    P("culture", ["arts", "lanna"], 10, 14, IN, 0, "ดนตรีพื้นเมือง สะล้อ ซอ ซึง", "Northern folk music: salo, so and sueng", "ฝึกเล่นเครื่องดนตรีพื้นเมืองกับครูภูมิปัญญา", "Play traditional instruments with local masters"),
    P("cc_hoi", ["environment"], 8, 14, IN, 0, "ค่ายนักสืบสายน้ำแม่ข่า", "Mae Kha canal water detectives", "ตรวจคุณภาพน้ำและสำรวจสิ่งมีชีวิตในคลองแม่ข่า", "Test water quality and find life in the Mae Kha canal"),
    P("edu", ["languages", "school-support"], 9, 14, IN, 0, "ภาษาจีนเบื้องต้นสำหรับเด็ก", "Chinese for children", "ฝึกพูดภาษาจีนกลางในชีวิตประจำวัน", "Everyday Mandarin for beginners"),
    P("edu", ["languages"], 6, 12, IN, 0, "ภาษาอังกฤษสนุกวันเสาร์", "Fun English on Saturdays", "เรียนภาษาอังกฤษผ่านเกมและละคร", "English through games and drama"),
    P("school", ["school-support", "environment"], 10, 14, IN, 0, "วิทยาศาสตร์นอกห้องเรียน", "Science outside the classroom", "ทดลองวิทยาศาสตร์ในสวนและริมน้ำ", "Science experiments in the garden and by the river"),
    P("health", ["health"], 10, 14, IN, 0, "ว่ายน้ำเพื่อความปลอดภัย", "Swimming for water safety", "ลอยตัว ว่ายน้ำ และช่วยเหลือผู้อื่นอย่างปลอดภัย", "Float, swim and help others safely"),
    P("studio", ["digital", "arts"], 11, 14, IN, 300, "ตัดต่อวิดีโอสั้นสำหรับเยาวชน", "Short video editing for young people", "ถ่ายและตัดต่อวิดีโอสั้นด้วยแอปฟรี", "Shoot and edit short videos with free apps"),
    P("ngo", ["citizenship"], 10, 14, IN, 0, "สภาเด็กและเยาวชนเมืองเชียงใหม่", "Chiang Mai children's and youth council", "ฝึกคิด พูด และเสนอโครงการเพื่อชุมชน", "Think, speak up and propose projects for the community"),
    P("uni", ["school-support"], 12, 14, IN, 0, "ค่ายวิทยาศาสตร์วันหยุด", "Holiday science camp", "ทดลองในห้องปฏิบัติการกับนักศึกษามหาวิทยาลัย", "Lab experiments with university students"),
    P("park", ["arts"], 7, 14, IN, 0, "การ์ตูนและนิยายภาพ", "Comics and graphic novels workshop", "วาดการ์ตูนและเล่าเรื่องเป็นภาพ", "Draw comics and tell stories in pictures"),
    P("cc_suthep", ["lanna", "environment"], 8, 14, IN, 0, "เดินป่าเรียนรู้ดอยสุเทพ", "Nature walks on Doi Suthep", "เรียนรู้ป่าต้นน้ำและพืชท้องถิ่นกับปราชญ์ชุมชน", "Learn about the watershed forest with community elders"),
    P("library", ["digital", "school-support"], 9, 14, ON, 0, "ใช้อินเทอร์เน็ตอย่างปลอดภัย", "Staying safe online", "รู้ทันภัยออนไลน์ การกลั่นแกล้ง และการปกป้องข้อมูล", "Online risks, cyberbullying and protecting your data"),
    P("school", ["inclusion", "school-support"], 6, 14, IN, 0, "ห้องเรียนคละวัยสำหรับเด็กที่หลุดจากระบบ", "Return-to-learning class for out-of-school children", "เรียนรู้ตามจังหวะของตนเองเพื่อกลับเข้าสู่โรงเรียน", "Learning at one's own pace on the way back to school"),
    # Youth 15-24
    P("uni", ["careers", "digital"], 18, 24, HY, 0, "การวิเคราะห์ข้อมูลด้วยสเปรดชีต", "Data analysis with spreadsheets", "สูตร ตาราง Pivot และกราฟสำหรับงานจริง", "Formulas, pivot tables and charts for real work"),
    P("studio", ["digital", "careers"], 16, 24, ON, 500, "การตลาดออนไลน์สำหรับคนรุ่นใหม่", "Online marketing for young people", "สร้างแบรนด์และขายผ่านโซเชียลมีเดีย", "Build a brand and sell on social media"),
    P("edu", ["careers"], 15, 24, IN, 0, "เตรียมตัวสัมภาษณ์งานและเขียนเรซูเม่", "Job interviews and CVs", "ฝึกสัมภาษณ์จริงและเขียนประวัติย่อให้โดดเด่น", "Practice interviews and write a strong CV"),
    P("uni", ["languages"], 15, 24, IN, 900, "ภาษาอังกฤษเพื่อการสอบและการศึกษาต่อ", "English for exams and further study", "เตรียมสอบวัดระดับภาษาอังกฤษ", "Prepare for English proficiency tests"),
    P("cc_phueak", ["school-support", "inclusion"], 15, 24, IN, 0, "เรียนต่อให้จบ ม.ปลาย (กศน.)", "Finish upper secondary school (non-formal)", "หลักสูตรการศึกษานอกระบบระดับมัธยมศึกษาตอนปลาย", "Non-formal upper secondary education"),
    P("studio", ["digital", "arts"], 15, 24, IN, 0, "การถ่ายภาพด้วยมือถือ", "Smartphone photography", "จัดองค์ประกอบ แสง และแต่งภาพด้วยมือถือ", "Composition, light and editing on your phone"),
    P("culture", ["arts"], 15, 24, IN, 0, "ดนตรีร่วมสมัยและการแสดงสด", "Contemporary music and live performance", "ตั้งวง ซ้อม และแสดงบนเวทีจริง", "Form a band, rehearse and play on a real stage"),
    P("ngo", ["citizenship"], 15, 24, IN, 0, "อาสาสมัครเยาวชนเพื่อชุมชน", "Youth volunteering for the community", "ออกแบบและลงมือทำโครงการจิตอาสา", "Plan and run volunteer projects"),
    P("health", ["health"], 15, 24, IN, 0, "สุขภาพจิตวัยรุ่น: รู้ทันความเครียด", "Teen mental health: handling stress", "เรียนรู้วิธีจัดการความเครียดและขอความช่วยเหลือ", "Ways to handle stress and where to find help"),
    P("uni", ["careers", "food"], 18, 24, IN, 1200, "ธุรกิจกาแฟล้านนา", "Starting a Lanna coffee business", "จากเมล็ดกาแฟดอยสู่ร้านกาแฟของตัวเอง", "From mountain beans to your own café"),
    P("park", ["digital"], 15, 24, IN, 0, "ออกแบบกราฟิกด้วยโปรแกรมฟรี", "Graphic design with free software", "ออกแบบโปสเตอร์และสื่อโซเชียลด้วยโปรแกรมโอเพนซอร์ส", "Posters and social media graphics with open-source tools"),
    P("uni", ["environment"], 18, 24, HY, 0, "เมืองยั่งยืนและการจัดการขยะ", "Sustainable cities and waste", "ลดขยะ แยกขยะ และออกแบบเมืองที่ยั่งยืน", "Reducing and sorting waste, designing sustainable cities"),
    P("edu", ["languages", "careers"], 15, 24, IN, 0, "ภาษาญี่ปุ่นเพื่อการทำงาน", "Japanese for work", "บทสนทนาภาษาญี่ปุ่นสำหรับงานบริการและการท่องเที่ยว", "Japanese conversation for hospitality and tourism"),
    P("cc_hoi", ["careers"], 15, 24, IN, 0, "ช่างซ่อมมอเตอร์ไซค์เบื้องต้น", "Basic motorbike repair", "ดูแลและซ่อมรถจักรยานยนต์ด้วยตนเอง", "Look after and repair your own motorbike"),
    # Adults 25-59 (and adults of any age)
    P("edu", ["languages", "careers"], 18, 59, IN, 0, "ภาษาอังกฤษเพื่อการท่องเที่ยว", "English for tourism", "ภาษาอังกฤษสำหรับพ่อค้าแม่ค้าและผู้ให้บริการนักท่องเที่ยว", "English for traders and people who serve visitors"),
    P("cc_suthep", ["environment", "food"], 6, None, IN, 0, "การปลูกผักสวนครัวสำหรับครอบครัว", "Home vegetable gardening for families", "ปลูกผักปลอดสารในพื้นที่เล็ก ๆ ที่บ้าน", "Grow chemical-free vegetables in a small space at home"),
    P("uni", ["careers"], 25, 59, IN, 0, "การเงินส่วนบุคคลและการออม", "Personal finance and saving", "วางแผนรายรับรายจ่าย ลดหนี้ และออมเพื่ออนาคต", "Budgeting, reducing debt and saving for the future"),
    P("studio", ["digital", "careers"], 25, 59, ON, 800, "ขายของออนไลน์ให้ปัง", "Selling online", "เปิดร้านออนไลน์ ถ่ายภาพสินค้า และจัดส่ง", "Open an online shop, photograph products and ship them"),
    P("health", ["health"], 25, 59, IN, 0, "โยคะยามเย็น", "Evening yoga", "ยืดเหยียดและผ่อนคลายหลังเลิกงาน", "Stretch and relax after work"),
    P("health", ["health", "food"], 25, None, IN, 0, "อาหารเพื่อสุขภาพลดเบาหวาน", "Healthy eating to prevent diabetes", "เลือกอาหาร อ่านฉลาก และทำเมนูลดหวาน", "Choosing food, reading labels and cooking with less sugar"),
    P("cc_phueak", ["careers", "arts"], 18, None, IN, 0, "ตัดเย็บเสื้อผ้าเบื้องต้น", "Basic sewing", "ใช้จักรเย็บผ้าและตัดเย็บเสื้อผ้าง่าย ๆ", "Use a sewing machine and make simple clothes"),
    P("cc_hoi", ["careers", "food"], 18, None, IN, 100, "ทำขนมไทยเพื่ออาชีพ", "Thai desserts for a living", "ทำขนมไทยขายได้จริง พร้อมคิดต้นทุน", "Make Thai desserts to sell, with costing"),
    P("culture", ["lanna", "arts"], 18, None, IN, 0, "เขียนอักษรธรรมล้านนา", "Writing the Lanna script", "อ่านและเขียนตัวเมืองเบื้องต้น", "Read and write the Tai Tham script"),
    P("ngo", ["early-years"], 20, 59, IN, 0, "เลี้ยงลูกเชิงบวก", "Positive parenting", "สื่อสารกับลูกอย่างเข้าใจและตั้งกติกาในบ้าน", "Talking with children and setting house rules"),
    P("health", ["early-years", "health"], 18, 45, IN, 0, "พัฒนาการลูกน้อยขวบปีแรก", "Your baby's first year", "โภชนาการ การนอน และพัฒนาการสำหรับพ่อแม่มือใหม่", "Feeding, sleep and development for new parents"),
    P("edu", ["citizenship"], 18, None, IN, 0, "กฎหมายใกล้ตัวสำหรับประชาชน", "Everyday law for residents", "สัญญาเช่า มรดก หนี้ และสิทธิผู้บริโภค", "Leases, inheritance, debt and consumer rights"),
    P("uni", ["digital", "careers"], 25, 59, HY, 1500, "ปัญญาประดิษฐ์สำหรับคนทำงาน", "AI tools for working people", "ใช้เครื่องมือ AI อย่างรู้เท่าทันในงานประจำวัน", "Using AI tools wisely in everyday work"),
    P("library", ["digital"], 25, None, ON, 0, "ห้องสมุดดิจิทัลและอีบุ๊ก", "Digital library and e-books", "ยืมอีบุ๊กและใช้ฐานข้อมูลของห้องสมุด", "Borrow e-books and use the library's databases"),
    P("culture", ["arts"], 18, None, IN, 300, "วาดภาพสีน้ำเมืองเก่า", "Watercolour sketching in the old city", "สเก็ตช์วัดและตรอกซอยในเมืองเก่าด้วยสีน้ำ", "Sketch temples and lanes of the old city in watercolour"),
    P("ngo", ["inclusion", "languages"], 15, None, IN, 0, "ภาษามือไทยเบื้องต้น", "Thai Sign Language basics", "สื่อสารกับคนหูหนวกในชีวิตประจำวัน", "Everyday communication with Deaf people"),
    P("health", ["health"], 15, None, IN, 0, "ปฐมพยาบาลและการช่วยชีวิต (CPR)", "First aid and CPR", "ช่วยชีวิตขั้นพื้นฐานและใช้เครื่อง AED", "Basic life support and using an AED"),
    P("edu", ["languages"], 18, None, IN, 600, "ภาษาไทยสำหรับชาวต่างชาติ", "Thai for foreigners", "ภาษาไทยในชีวิตประจำวันสำหรับผู้พำนักในเชียงใหม่", "Everyday Thai for people living in Chiang Mai"),
    P("studio", ["careers"], 25, 59, IN, 400, "บัญชีสำหรับร้านค้าเล็ก", "Bookkeeping for small shops", "จดบัญชีรายรับรายจ่ายและภาษีเบื้องต้น", "Keeping accounts and basic tax"),
    P("cc_suthep", ["environment"], 18, None, IN, 0, "ทำปุ๋ยหมักจากเศษอาหาร", "Composting food waste", "เปลี่ยนเศษอาหารในครัวเป็นปุ๋ย", "Turn kitchen scraps into compost"),
    P("uni", ["lanna", "citizenship"], 18, None, ON, 0, "ประวัติศาสตร์เมืองเชียงใหม่ 700 ปี", "700 years of Chiang Mai history", "บรรยายออนไลน์โดยนักประวัติศาสตร์ท้องถิ่น", "Online lectures by local historians"),
    P("park", ["digital", "citizenship"], 25, None, ON, 0, "รู้ทันข่าวปลอม", "Spotting fake news", "ตรวจสอบข่าว ภาพ และคลิปก่อนแชร์", "Check news, pictures and clips before you share"),
    P("health", ["health"], 18, None, IN, 0, "ว่ายน้ำสำหรับผู้ใหญ่", "Swimming for adults", "เริ่มว่ายน้ำได้ทุกวัย", "It is never too late to learn to swim"),
    P("ngo", ["inclusion", "languages"], 15, None, IN, 0, "ภาษาไทยสำหรับแรงงานข้ามชาติ", "Thai for migrant workers", "ภาษาไทยเพื่อการทำงานและการใช้บริการสาธารณะ", "Thai for work and public services"),
    # Older adults 60+
    P("elderly", ["ageing", "digital"], 60, None, IN, 0, "สมาร์ตโฟนสำหรับผู้สูงอายุ", "Smartphones for older adults", "ใช้โทรศัพท์มือถือ ถ่ายรูป และส่งข้อความ", "Use a mobile phone, take photos and send messages"),
    P("elderly", ["ageing", "health"], 60, None, IN, 0, "ออกกำลังกายด้วยไม้พลอง", "Exercise with a bamboo staff", "ท่าบริหารร่างกายด้วยไม้พลองสำหรับวัยเก๋า", "Gentle exercises with a bamboo staff"),
    P("elderly", ["ageing", "lanna"], 60, None, IN, 0, "ถ่ายทอดภูมิปัญญาจากผู้สูงอายุสู่เด็ก", "Elders teach children local wisdom", "ผู้สูงอายุสอนงานฝีมือและนิทานพื้นบ้านให้เด็กในชุมชน", "Elders teach crafts and folk tales to children"),
    P("health", ["ageing", "health"], 60, None, IN, 0, "ป้องกันการหกล้มในผู้สูงอายุ", "Preventing falls in later life", "ฝึกการทรงตัวและจัดบ้านให้ปลอดภัย", "Balance training and a safer home"),
    P("elderly", ["ageing", "arts"], 60, None, IN, 0, "ร้องเพลงคำเมืองประสานเสียง", "Northern Thai choir", "ร้องเพลงพื้นเมืองร่วมกันเพื่อสุขภาพใจ", "Sing folk songs together for a happy mind"),
    P("library", ["ageing", "digital"], 55, None, IN, 0, "ใช้ LINE และวิดีโอคอลคุยกับลูกหลาน", "LINE and video calls with the family", "ส่งรูป ส่งสติกเกอร์ และวิดีโอคอลกับครอบครัว", "Send photos and stickers, make video calls"),
    P("edu", ["ageing", "digital"], 60, None, IN, 0, "ธนาคารออนไลน์อย่างปลอดภัยสำหรับผู้สูงอายุ", "Safe online banking for older adults", "ใช้แอปธนาคารและรู้ทันมิจฉาชีพ", "Use banking apps and recognise scams"),
    P("elderly", ["ageing", "arts"], 60, None, IN, 0, "งานจักสานไม้ไผ่", "Bamboo weaving", "สานตะกร้าและของใช้จากไม้ไผ่", "Weave baskets and everyday things from bamboo"),
    P("cc_hoi", ["ageing", "environment"], 60, None, IN, 0, "สวนสมุนไพรในบ้าน", "Herb gardens at home", "ปลูกและใช้สมุนไพรไทยในชีวิตประจำวัน", "Grow and use Thai herbs"),
    P("health", ["ageing", "health"], 60, None, IN, 0, "ดูแลสุขภาพสมอง ชะลอภาวะสมองเสื่อม", "Keeping the brain healthy", "เกมฝึกสมองและวิถีชีวิตที่ช่วยชะลอสมองเสื่อม", "Brain games and habits that slow dementia"),
    P("elderly", ["ageing", "languages"], 60, None, IN, 0, "ภาษาอังกฤษสำหรับผู้สูงอายุ", "English for older adults", "ทักทายและช่วยเหลือนักท่องเที่ยวด้วยภาษาอังกฤษง่าย ๆ", "Greet and help visitors in simple English"),
    P("culture", ["ageing", "lanna"], 60, None, IN, 0, "ตุงและโคมล้านนา", "Lanna flags and lanterns", "ทำตุงและโคมสำหรับประเพณียี่เป็ง", "Make flags and lanterns for Yi Peng"),
    P("uni", ["ageing"], 60, None, HY, 0, "มหาวิทยาลัยวัยเก๋า: เรียนรู้ไม่มีวันหยุด", "Third-age university lectures", "บรรยายสาธารณะด้านสุขภาพ สังคม และวิทยาศาสตร์", "Public lectures on health, society and science"),
    P("ngo", ["ageing", "citizenship"], 60, None, IN, 0, "อาสาสมัครผู้สูงอายุดูแลชุมชน", "Older volunteers caring for the community", "เยี่ยมบ้านและช่วยเหลือเพื่อนบ้านที่อยู่ลำพัง", "Visiting and helping neighbours who live alone"),
    P("elderly", ["ageing", "food"], 60, None, IN, 0, "อาหารพื้นเมืองล้านนาสูตรคุณยาย", "Grandma's Lanna recipes", "แกงฮังเล น้ำพริกหนุ่ม และขนมพื้นบ้าน", "Hang le curry, green chilli dip and local sweets"),
    P("park", ["ageing", "digital"], 60, None, IN, 0, "ถ่ายภาพและทำอัลบั้มครอบครัวด้วยมือถือ", "Family photo albums on your phone", "ถ่าย จัดเก็บ และแบ่งปันภาพครอบครัว", "Take, keep and share family photos"),
    # All ages
    P("culture", ["lanna", "citizenship"], 0, None, IN, 0, "เดินชมเมืองเก่าเชียงใหม่", "Old city heritage walk", "เดินชมวัด กำแพงเมือง และเรื่องเล่าของชุมชน", "Temples, city walls and community stories on foot"),
    P("edu", ["environment", "citizenship"], 10, None, IN, 0, "ปั่นจักรยานเรียนรู้เมือง", "Learning the city by bike", "ปั่นจักรยานสำรวจคูเมืองและชุมชนริมน้ำ", "Cycle along the moat and riverside communities"),
    P("library", ["early-years", "school-support"], 0, None, IN, 0, "ห้องสมุดครอบครัววันอาทิตย์", "Family library Sundays", "อ่าน เล่น และเรียนรู้ด้วยกันทั้งครอบครัว", "Read, play and learn together as a family"),
]  # fmt: skip

# Weekly meeting patterns: (ISO weekday, start hour, start minute, hours).
WEEKDAY_MORNING = [(1, 9, 0, 2), (3, 9, 30, 2), (5, 10, 0, 2)]
AFTER_SCHOOL = [(2, 16, 0, 1.5), (4, 16, 0, 1.5)]
EVENING = [(2, 18, 0, 2), (3, 18, 30, 2), (4, 19, 0, 1.5)]
WEEKEND = [(6, 9, 30, 2.5), (6, 13, 0, 3), (7, 9, 0, 2), (7, 14, 0, 2)]


def load_demo_data(stdout) -> None:
    """The hook load_demo calls (see the module docstring)."""
    city = demo_city_get()
    if city is None:
        stdout.write(_("Catalogue: no demo city, nothing loaded."))
        return
    if Provider.objects.filter(city=city).exists():
        stdout.write(_("Catalogue: the city has providers already, no demo catalogue loaded."))
        return
    codes = set(District.objects.filter(city=city).values_list("code", flat=True))
    missing = sorted({venue[1] for venue in VENUES} - codes)
    if missing:
        stdout.write(
            _("Catalogue: districts %(codes)s are not loaded; their venues get no district.")
            % {"codes": ", ".join(missing)}
        )
    counts = _load(city, now=timezone.now())
    stdout.write(
        _(
            "Catalogue: %(providers)s providers, %(venues)s venues, %(programmes)s programmes, "
            "%(courses)s courses, %(sessions)s sessions (DEMO data)."
        )
        % counts
    )


@transaction.atomic
def _load(city, *, now: dt.datetime) -> dict[str, int]:
    rng = random.Random(DEMO_SEED)
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)

    providers = {
        key: services.provider_create(
            city=city,
            name_th=name_th,
            name_en=name_en,
            kind=kind,
            slug=slugify(name_en)[:80],
            phone=f"053-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            email=f"{key.replace('_', '-')}@demo.learningcity.local",
            description_th=f"<p>{name_th} จัดการเรียนรู้สำหรับชาวเชียงใหม่ (ข้อมูลสาธิต)</p>",
            description_en=f"<p>{name_en} offers learning to Chiang Mai residents (demo data).</p>",
        )
        for key, (kind, name_th, name_en) in PROVIDERS.items()
    }

    districts = {d.code: d for d in District.objects.filter(city=city)}
    venues_by_provider: dict[str | None, list[Venue]] = {}
    for provider_key, code, name_th, name_en, address_th, lat, lng, access in VENUES:
        venue = Venue.objects.create(  # fixed, valid demo rows: no per-row validation queries
            city=city,
            provider=providers[provider_key] if provider_key else None,
            district=districts.get(code),
            name_th=name_th,
            name_en=name_en,
            address_th=f"{address_th} เมืองเชียงใหม่",
            address_en="Mueang Chiang Mai",
            latitude=Decimal(lat),
            longitude=Decimal(lng),
            accessibility=sorted(access),
        )
        venues_by_provider.setdefault(provider_key, []).append(venue)
    shared_venues = venues_by_provider.get(None, [])

    categories = {}
    for position, (slug, (name_th, name_en, blocks, targets)) in enumerate(CATEGORIES.items()):
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name_th": name_th,
                "name_en": name_en,
                "building_blocks": blocks,
                "sdg_targets": targets,
                "position": position,
            },
        )

    taken_slugs = set(Programme.objects.values_list("slug", flat=True))
    programmes = []
    for index, spec in enumerate(PROGRAMMES):
        slug = base = slugify(spec.title_en)[:90]
        n = 2
        while slug in taken_slugs:
            slug, n = f"{base}-{n}", n + 1
        taken_slugs.add(slug)
        status = Programme.Status.PUBLISHED
        if index in (7, 58):
            status = Programme.Status.DRAFT
        elif index == 41:
            status = Programme.Status.ARCHIVED
        ages = _ages_th(spec.age_min, spec.age_max)
        programmes.append(
            Programme(
                provider=providers[spec.provider],
                slug=slug,
                title_th=spec.title_th,
                title_en=spec.title_en,
                summary_th=spec.summary_th,
                summary_en=spec.summary_en,
                description_th=services.sanitize_html(
                    f"<p>{spec.summary_th}</p><p>{ages[0]} ผู้เรียนจะได้ลงมือทำจริงกับวิทยากรที่มีประสบการณ์</p>"
                ),
                description_en=services.sanitize_html(
                    f"<p>{spec.summary_en}.</p><p>{ages[1]} Hands-on sessions with experienced tutors.</p>"
                ),
                age_min=spec.age_min,
                age_max=spec.age_max,
                language=Programme.Language.ENGLISH
                if spec.title_en == "Thai for foreigners"
                else (Programme.Language.BOTH if "languages" in spec.categories else Programme.Language.THAI),
                format=spec.format,
                fee=Decimal(spec.fee),
                fee_note_th="รวมค่าวัสดุแล้ว" if spec.fee else "",
                fee_note_en="Materials included" if spec.fee else "",
                status=status,
                published_at=None
                if status == Programme.Status.DRAFT
                else now - dt.timedelta(days=rng.randint(30, 400)),
            )
        )
    Programme.objects.bulk_create(programmes)
    Through = Programme.categories.through
    Through.objects.bulk_create(
        [
            Through(programme_id=programme.pk, category_id=categories[slug].pk)
            for programme, spec in zip(programmes, PROGRAMMES, strict=True)
            for slug in spec.categories
        ]
    )

    courses: list[Course] = []
    course_patterns: list[tuple[int, int, int, float]] = []
    for programme, spec in zip(programmes, PROGRAMMES, strict=True):
        if programme.status == Programme.Status.DRAFT:
            continue
        pattern = rng.choice(_patterns_for(spec))
        pool = venues_by_provider.get(spec.provider, []) + (
            shared_venues
            if PROVIDERS[spec.provider][0] in (K.MUNICIPAL, K.NGO, K.ELDERLY_SCHOOL, K.COMMUNITY_CENTRE)
            else []
        )
        runs = []
        if rng.random() < 0.75:
            runs.append(("past", today - dt.timedelta(days=rng.randint(70, 160))))
        if rng.random() < 0.4 and programme.status == Programme.Status.PUBLISHED:
            runs.append(("current", today - dt.timedelta(days=rng.randint(7, 20))))
        if programme.status == Programme.Status.PUBLISHED:
            runs.append(("future", today + dt.timedelta(days=rng.randint(2, 45))))
            if rng.random() < 0.25:
                runs.append(("future", today + dt.timedelta(days=rng.randint(50, 100))))
        for when, nominal_start in runs:
            weeks = 1 if rng.random() < 0.15 else rng.randint(4, 8)
            starts_on = nominal_start + dt.timedelta(days=(pattern[0] - nominal_start.isoweekday()) % 7)
            if when == "current" and starts_on > today:
                starts_on -= dt.timedelta(days=7)
                weeks = max(weeks, 4)
            ends_on = starts_on + dt.timedelta(weeks=weeks - 1)
            online = spec.format == ON
            capacity = rng.randint(50, 100) if online else rng.choice([10, 12, 15, 20, 25, 30])
            if when == "past":
                seats = rng.randint(capacity // 2, capacity)
            elif rng.random() < 0.15:
                seats = capacity  # full: the waiting list applies
            else:
                seats = rng.randint(0, capacity - 1)
            opens = dt.datetime.combine(starts_on - dt.timedelta(days=30), dt.time(8), tzinfo=tz)
            courses.append(
                Course(
                    programme=programme,
                    venue=None if online else rng.choice(pool),
                    starts_on=starts_on,
                    ends_on=ends_on,
                    capacity=capacity,
                    seats_taken=seats,
                    enrolment_opens_at=opens,
                    enrolment_closes_at=dt.datetime.combine(starts_on, dt.time(0), tzinfo=tz),
                    cancellation_deadline=dt.datetime.combine(starts_on - dt.timedelta(days=2), dt.time(0), tzinfo=tz),
                    confirmation_mode=Course.ConfirmationMode.OFFER
                    if rng.random() < 0.2
                    else Course.ConfirmationMode.AUTOMATIC,
                    status=Course.Status.COMPLETED if when == "past" else Course.Status.SCHEDULED,
                    online_url=f"https://meet.example.org/chiang-mai/{programme.slug}" if spec.format != IN else "",
                )
            )
            course_patterns.append(pattern)
    Course.objects.bulk_create(courses)

    sessions = []
    for course, (_weekday, hour, minute, hours) in zip(courses, course_patterns, strict=True):
        day = course.starts_on
        while day <= course.ends_on:
            starts_at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)
            sessions.append(
                Session(
                    course=course,
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(hours=hours),
                    venue=course.venue,
                    online_url=course.online_url if course.venue is None else "",
                )
            )
            day += dt.timedelta(days=7)
    Session.objects.bulk_create(sessions, batch_size=1000)

    programme_ids = [p.pk for p in programmes]
    services.programme_search_refresh(programme_ids=programme_ids)
    services.programmes_refresh_schedule(programme_ids=programme_ids, now=now)
    _demo_staff(providers)
    return {
        "providers": len(providers),
        "venues": sum(len(v) for v in venues_by_provider.values()),
        "programmes": len(programmes),
        "courses": len(courses),
        "sessions": len(sessions),
    }


def _patterns_for(spec: P) -> list[tuple[int, int, int, float]]:
    """When a programme's audience can come: children after school or at weekends, working
    ages in the evening or at weekends, older adults on weekday mornings."""
    if spec.age_min >= 55:
        return WEEKDAY_MORNING + WEEKEND[:1]
    if spec.age_max is not None and spec.age_max <= 5:
        return WEEKEND + WEEKDAY_MORNING[:1]
    if spec.age_max is not None and spec.age_max <= 14:
        return AFTER_SCHOOL + WEEKEND
    return EVENING + WEEKEND


def _ages_th(age_min: int, age_max: int | None) -> tuple[str, str]:
    if age_max is None:
        if age_min == 0:
            return "เปิดสำหรับทุกวัย", "Open to all ages."
        return f"สำหรับผู้เรียนอายุ {age_min} ปีขึ้นไป", f"For learners aged {age_min} and over."
    return f"สำหรับผู้เรียนอายุ {age_min}-{age_max} ปี", f"For learners aged {age_min} to {age_max}."


def _demo_staff(providers: dict[str, Provider]) -> None:
    """A provider staff sign-in: manager of the public library, editor at the learning park."""
    from allauth.account.models import EmailAddress

    User = get_user_model()
    user = User.objects.filter(email__iexact=DEMO_PROVIDER_EMAIL).first()
    if user is None:
        password = os.environ.get("DEMO_PROVIDER_PASSWORD") or DEMO_PROVIDER_PASSWORD_DEFAULT
        user = User.objects.create_user(
            email=DEMO_PROVIDER_EMAIL, password=password, display_name="เจ้าหน้าที่ห้องสมุด (สาธิต)"
        )
    EmailAddress.objects.update_or_create(
        user=user, email=DEMO_PROVIDER_EMAIL, defaults={"verified": True, "primary": True}
    )
    ProviderMembership.objects.update_or_create(
        user=user, provider=providers["library"], defaults={"role": ProviderMembership.Role.MANAGER}
    )
    ProviderMembership.objects.update_or_create(
        user=user, provider=providers["park"], defaults={"role": ProviderMembership.Role.EDITOR}
    )
