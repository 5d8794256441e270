"""Word lists for the synthetic city: Thai and English, paired, so titles read naturally in both
languages and Thai search has real segmentation work to do.

Titles are built as "<topic> <level> สำหรับ<audience>" (Thai phrases separated by spaces, as Thai
writing does between phrases). The search tokens are computed with the same pythainlp-based
`programmes.services.segment` that `programme_search_refresh` uses (cached per phrase), so they
are identical to what the service would store (tests/scale checks that on a sample)."""

# (Thai, English, category slug from programmes.demo.CATEGORIES, age_min, age_max or None)
TOPICS = [
    ("นิทานและการอ่านออกเสียง", "Storytelling and reading aloud", "early-years", 2, 8),
    ("ดนตรีและการเคลื่อนไหว", "Music and movement", "early-years", 1, 6),
    ("ศิลปะสร้างสรรค์", "Creative art", "arts", 4, None),
    ("คณิตศาสตร์สนุก", "Fun with mathematics", "school-support", 6, 14),
    ("วิทยาศาสตร์รอบตัว", "Everyday science", "school-support", 8, 15),
    ("การเขียนโปรแกรมเบื้องต้น", "Introduction to programming", "digital", 10, None),
    ("หุ่นยนต์และเซนเซอร์", "Robots and sensors", "digital", 10, 18),
    ("ทักษะสมาร์ตโฟน", "Smartphone skills", "digital", 40, None),
    ("ความปลอดภัยออนไลน์", "Staying safe online", "digital", 12, None),
    ("การใช้คอมพิวเตอร์", "Computer basics", "digital", 15, None),
    ("ภาษาอังกฤษเพื่อการสื่อสาร", "English for communication", "languages", 12, None),
    ("ภาษาจีนกลาง", "Mandarin Chinese", "languages", 10, None),
    ("ภาษาญี่ปุ่น", "Japanese", "languages", 12, None),
    ("ภาษามือไทย", "Thai sign language", "inclusion", 10, None),
    ("การทำอาหารไทย", "Thai cooking", "food", 15, None),
    ("ขนมไทย", "Thai desserts", "food", 12, None),
    ("การทำขนมปัง", "Bread baking", "food", 15, None),
    ("การปลูกผักสวนครัว", "Kitchen gardening", "environment", 10, None),
    ("การคัดแยกขยะ", "Waste sorting and recycling", "environment", 8, None),
    ("เกษตรในเมือง", "Urban farming", "environment", 15, None),
    ("การออกกำลังกายสำหรับผู้สูงอายุ", "Exercise for older adults", "ageing", 60, None),
    ("โยคะ", "Yoga", "health", 15, None),
    ("สมาธิและการผ่อนคลาย", "Meditation and relaxation", "health", 15, None),
    ("การปฐมพยาบาลเบื้องต้น", "First aid", "health", 15, None),
    ("โภชนาการและสุขภาพ", "Nutrition and health", "health", 18, None),
    ("การดูแลผู้สูงอายุที่บ้าน", "Caring for older people at home", "ageing", 18, None),
    ("การถ่ายภาพด้วยมือถือ", "Mobile photography", "arts", 12, None),
    ("การวาดภาพสีน้ำ", "Watercolour painting", "arts", 10, None),
    ("ดนตรีไทย", "Thai classical music", "arts", 8, None),
    ("กีตาร์", "Guitar", "arts", 10, None),
    ("การทอผ้า", "Weaving", "lanna", 15, None),
    ("งานจักสาน", "Basketry", "lanna", 12, None),
    ("ภูมิปัญญาท้องถิ่น", "Local wisdom", "lanna", 10, None),
    ("ประวัติศาสตร์ชุมชน", "Community history", "citizenship", 12, None),
    ("การเงินส่วนบุคคล", "Personal finance", "careers", 18, None),
    ("การขายของออนไลน์", "Selling online", "careers", 18, None),
    ("การเริ่มต้นธุรกิจ", "Starting a business", "careers", 18, None),
    ("การเขียนเรซูเม่", "Writing a CV", "careers", 16, None),
    ("ช่างซ่อมบำรุงในบ้าน", "Home repairs", "careers", 18, None),
    ("การนวดแผนไทย", "Thai massage", "careers", 18, None),
    ("สิทธิและหน้าที่พลเมือง", "Citizens' rights and duties", "citizenship", 15, None),
    ("อาสาสมัครชุมชน", "Community volunteering", "citizenship", 15, None),
    ("การเลี้ยงลูกเชิงบวก", "Positive parenting", "early-years", 18, None),
    ("การอ่านเพื่อความเข้าใจ", "Reading for understanding", "school-support", 7, 15),
    ("การเรียนรู้ตลอดชีวิต", "Lifelong learning", "inclusion", 15, None),
]

# (Thai, English)
LEVELS = [
    ("เบื้องต้น", "for beginners"),
    ("ระดับกลาง", "intermediate"),
    ("ขั้นสูง", "advanced"),
    ("เชิงปฏิบัติการ", "workshop"),
    ("ภาคฤดูร้อน", "summer course"),
    ("ช่วงเย็น", "evening class"),
    ("วันเสาร์", "Saturday class"),
    ("ออนไลน์", "online"),
]

# (Thai, English, age_min, age_max or None): narrows the topic's ages where it fits.
AUDIENCES = [
    ("", "", None, None),
    ("สำหรับเด็ก", "for children", 6, 12),
    ("สำหรับเยาวชน", "for young people", 15, 24),
    ("สำหรับผู้สูงอายุ", "for older adults", 60, None),
    ("สำหรับครอบครัว", "for families", 0, None),
    ("สำหรับผู้ปกครอง", "for parents", 20, None),
    ("สำหรับคนทำงาน", "for working people", 22, 60),
    ("สำหรับทุกคน", "for everyone", 0, None),
]

SUMMARIES = [
    ("เรียนรู้จากการลงมือทำกับวิทยากรผู้มีประสบการณ์", "Learn by doing with an experienced trainer"),
    ("กลุ่มเล็ก บรรยากาศเป็นกันเอง ไม่ต้องมีพื้นฐาน", "Small groups, friendly, no experience needed"),
    ("ฝึกทักษะที่ใช้ได้จริงในชีวิตประจำวัน", "Practical skills for everyday life"),
    ("เรียนฟรี มีวัสดุอุปกรณ์ให้", "Free, materials provided"),
    ("ได้รับเกียรติบัตรเมื่อเข้าเรียนครบ", "A certificate when you attend every session"),
]

# Provider kinds with Thai/English name patterns ({n} = a number, {d} = a district name).
PROVIDER_PATTERNS = [
    ("library", "ห้องสมุดประชาชนเขต{d}", "{d} Public Library"),
    ("community_centre", "ศูนย์การเรียนรู้ชุมชน{d} แห่งที่ {n}", "{d} Community Learning Centre {n}"),
    ("school", "โรงเรียนสังกัดกรุงเทพมหานคร {d} {n}", "BMA School {d} {n}"),
    ("elderly_school", "โรงเรียนผู้สูงอายุเขต{d}", "{d} Elderly School"),
    ("municipal", "สำนักงานเขต{d}", "{d} District Office"),
    ("ngo", "มูลนิธิเพื่อการเรียนรู้{d} {n}", "{d} Learning Foundation {n}"),
    ("university", "ศูนย์บริการวิชาการ มหาวิทยาลัย{d} {n}", "University Outreach Centre {d} {n}"),
    ("private", "สถาบันฝึกอบรม{d} {n}", "{d} Training Institute {n}"),
]

VENUE_PATTERNS = [
    ("ห้องประชุมชุมชน{d} {n}", "{d} community hall {n}"),
    ("ห้องสมุด{d} สาขา {n}", "{d} library branch {n}"),
    ("ศูนย์เยาวชน{d} {n}", "{d} youth centre {n}"),
    ("ศาลาวัด{d} {n}", "{d} temple hall {n}"),
    ("ลานกิจกรรม{d} {n}", "{d} activity ground {n}"),
]

# The 50 districts (khet) of Bangkok with their DOPA codes: the "large" city has all of them.
BANGKOK_DISTRICTS = [
    ("1001", "พระนคร", "Phra Nakhon"), ("1002", "ดุสิต", "Dusit"), ("1003", "หนองจอก", "Nong Chok"),
    ("1004", "บางรัก", "Bang Rak"), ("1005", "บางเขน", "Bang Khen"), ("1006", "บางกะปิ", "Bang Kapi"),
    ("1007", "ปทุมวัน", "Pathum Wan"), ("1008", "ป้อมปราบศัตรูพ่าย", "Pom Prap Sattru Phai"),
    ("1009", "พระโขนง", "Phra Khanong"), ("1010", "มีนบุรี", "Min Buri"), ("1011", "ลาดกระบัง", "Lat Krabang"),
    ("1012", "ยานนาวา", "Yan Nawa"), ("1013", "สัมพันธวงศ์", "Samphanthawong"), ("1014", "พญาไท", "Phaya Thai"),
    ("1015", "ธนบุรี", "Thon Buri"), ("1016", "บางกอกใหญ่", "Bangkok Yai"), ("1017", "ห้วยขวาง", "Huai Khwang"),
    ("1018", "คลองสาน", "Khlong San"), ("1019", "ตลิ่งชัน", "Taling Chan"), ("1020", "บางกอกน้อย", "Bangkok Noi"),
    ("1021", "บางขุนเทียน", "Bang Khun Thian"), ("1022", "ภาษีเจริญ", "Phasi Charoen"),
    ("1023", "หนองแขม", "Nong Khaem"), ("1024", "ราษฎร์บูรณะ", "Rat Burana"), ("1025", "บางพลัด", "Bang Phlat"),
    ("1026", "ดินแดง", "Din Daeng"), ("1027", "บึงกุ่ม", "Bueng Kum"), ("1028", "สาทร", "Sathon"),
    ("1029", "บางซื่อ", "Bang Sue"), ("1030", "จตุจักร", "Chatuchak"), ("1031", "บางคอแหลม", "Bang Kho Laem"),
    ("1032", "ประเวศ", "Prawet"), ("1033", "คลองเตย", "Khlong Toei"), ("1034", "สวนหลวง", "Suan Luang"),
    ("1035", "จอมทอง", "Chom Thong"), ("1036", "ดอนเมือง", "Don Mueang"), ("1037", "ราชเทวี", "Ratchathewi"),
    ("1038", "ลาดพร้าว", "Lat Phrao"), ("1039", "วัฒนา", "Watthana"), ("1040", "บางแค", "Bang Khae"),
    ("1041", "หลักสี่", "Lak Si"), ("1042", "สายไหม", "Sai Mai"), ("1043", "คันนายาว", "Khan Na Yao"),
    ("1044", "สะพานสูง", "Saphan Sung"), ("1045", "วังทองหลาง", "Wang Thonglang"),
    ("1046", "คลองสามวา", "Khlong Sam Wa"), ("1047", "บางนา", "Bang Na"), ("1048", "ทวีวัฒนา", "Thawi Watthana"),
    ("1049", "ทุ่งครุ", "Thung Khru"), ("1050", "บางบอน", "Bang Bon"),
]  # fmt: skip

GIVEN_NAMES_FEMALE = [
    "สมใจ", "มาลี", "ฟ้าใส", "กัญญา", "ศิริพร", "วนิดา", "สุนีย์", "ปราณี", "อรุณี", "พิมพ์ชนก",
    "ณัฐธิดา", "กมลชนก", "ธิดารัตน์", "บุญศรี", "จันทร์เพ็ญ", "รัตนา", "นภัสสร", "ปิยะนุช",
]  # fmt: skip
GIVEN_NAMES_MALE = [
    "สมชาย", "ประเสริฐ", "วิชัย", "สุรชัย", "ธนพล", "ณัฐวุฒิ", "กิตติ", "อนุชา", "บุญมี", "ชัยวัฒน์",
    "ภานุวัฒน์", "ศักดิ์ชัย", "พงศกร", "ธีรวัฒน์", "เกียรติศักดิ์", "วีระ", "สมบัติ", "ปกรณ์",
]  # fmt: skip
FAMILY_NAMES = [
    "รักเรียน", "ใจดี", "ศรีสุข", "สุขสวัสดิ์", "วงศ์ใหญ่", "แก้วมณี", "ทองดี", "บุญมา", "จันทร์หอม",
    "พึ่งทอง", "ศรีวงศ์", "มั่นคง", "เจริญผล", "ประเสริฐศักดิ์", "นาคสวัสดิ์", "สายสุวรรณ",
]  # fmt: skip
