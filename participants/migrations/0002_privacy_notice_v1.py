"""Publish version 1 of the privacy notice (Thai and English). `{contact_email}` is replaced
with settings.CONTACT_EMAIL when the notice is shown (PrivacyNotice.text)."""

import datetime as dt

from django.db import migrations

PUBLISHED_AT = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

TEXT_TH = """ประกาศความเป็นส่วนตัว ฉบับที่ 1

เทศบาลผู้ให้บริการเว็บไซต์การเรียนรู้ตลอดชีวิตนี้เป็นผู้ควบคุมข้อมูลส่วนบุคคลของท่าน ตามพระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562

ข้อมูลที่เราเก็บ
- บัญชีผู้ใช้: อีเมลและรหัสผ่าน (เก็บแบบเข้ารหัสทางเดียว)
- ข้อมูลผู้เรียนของท่านและผู้อยู่ในความดูแล: ชื่อ นามสกุล วันเกิด (หรือปีเกิด) ตำบล/แขวงที่อาศัย หรือ "อยู่นอกเมือง" ภาษาที่ต้องการ
- ข้อมูลที่ให้หรือไม่ให้ก็ได้: เพศ (เลือก "ไม่ประสงค์จะระบุ" ได้) และหมายเลขโทรศัพท์
- ข้อมูลอ่อนไหว (ความพิการและความต้องการการอำนวยความสะดวก): เก็บเฉพาะเมื่อท่านให้ความยินยอมแยกต่างหากโดยชัดแจ้งเท่านั้น และไม่เป็นเงื่อนไขในการสมัครเรียน
- ประวัติการสมัครเรียน รายชื่อรอ การเข้าเรียน และข้อความแจ้งเตือนที่ส่งถึงท่าน

เราใช้ข้อมูลเพื่อ
- รับสมัครและจัดที่นั่งในหลักสูตร จัดรายชื่อรอ และบันทึกการเข้าเรียน
- แจ้งผลการสมัคร การเสนอที่นั่ง การเปลี่ยนแปลงหรือยกเลิกหลักสูตร และแจ้งเตือนก่อนเริ่มเรียน
- จัดการอำนวยความสะดวกที่เหมาะสม (เฉพาะเมื่อท่านยินยอมให้เก็บข้อมูลอ่อนไหว)
- จัดทำสถิติการเรียนรู้ของเมืองในรูปแบบภาพรวมที่ไม่ระบุตัวบุคคล เช่น ตามตำบล ช่วงอายุ และเพศ โดยไม่เปิดเผยกลุ่มที่มีน้อยกว่า 5 คน

ผู้ที่ได้รับข้อมูล
- หน่วยงานผู้จัดหลักสูตรที่ท่านสมัคร ได้รับเฉพาะข้อมูลของผู้เรียนในหลักสูตรของตน เพื่อจัดการเรียนการสอน และการเข้าถึงของเจ้าหน้าที่จะถูกบันทึกไว้
- เทศบาลและสาธารณะได้รับเฉพาะสถิติภาพรวม
- เราไม่ขายหรือส่งต่อข้อมูลของท่านเพื่อการตลาด

ระยะเวลาการเก็บ
เราเก็บข้อมูลตราบเท่าที่บัญชีของท่านยังอยู่ เมื่อท่านลบบัญชี ข้อมูลส่วนบุคคลจะถูกลบหรือทำให้ไม่สามารถระบุตัวตนได้ ประวัติการสมัครเรียนจะเหลือเพียงเป็นจำนวนนับที่ไม่ระบุตัวบุคคล (เก็บเพียงปีเกิด เพศ และตำบล) เพื่อให้สถิติของเมืองยังถูกต้อง

ผู้เยาว์
ผู้ที่อายุต่ำกว่า 20 ปีต้องได้รับความยินยอมจากผู้ปกครอง สำหรับเด็กอายุต่ำกว่า 10 ปี ผู้ปกครองเป็นผู้ให้ความยินยอมแทนเสมอ

สิทธิของท่าน
ท่านมีสิทธิขอเข้าถึงและดาวน์โหลดข้อมูลของท่าน ขอแก้ไขข้อมูลให้ถูกต้อง ขอลบข้อมูลหรือลบบัญชี ถอนความยินยอมเมื่อใดก็ได้ด้วยวิธีที่ง่ายเช่นเดียวกับการให้ความยินยอม (การถอนไม่กระทบสิ่งที่ทำไปแล้วโดยชอบ) และร้องเรียนต่อสำนักงานคณะกรรมการคุ้มครองข้อมูลส่วนบุคคล (สคส.) ท่านใช้สิทธิส่วนใหญ่ได้เองในหน้า "ข้อมูลของฉัน"

ติดต่อเรา
{contact_email}
"""

TEXT_EN = """Privacy notice, version 1

The municipality that runs this lifelong-learning portal is the data controller of your personal data under Thailand's Personal Data Protection Act B.E. 2562 (2019).

What we collect
- Your account: e-mail address and password (stored as a one-way hash).
- Learner details for you and the dependants you manage: given and family name, birth date (or year), subdistrict of residence or "outside the city", preferred language.
- Optional details: sex ("prefer not to say" is an option) and phone number.
- Sensitive data (disability and access needs): only with your separate, explicit consent; never a condition for enrolling.
- Your enrolments, waiting-list places, attendance and the messages we send you.

Why we use it
- To enrol you in courses, keep waiting lists and record attendance.
- To tell you about your enrolment, offered places, changes or cancellations, and to remind you before a course starts.
- To arrange reasonable adjustments (only if you consented to sensitive data).
- To produce the city's learning statistics as anonymous aggregates (for example by subdistrict, age band and sex), never showing a group of fewer than 5 people.

Who receives it
- The provider running a course you enrol in receives the details of its own participants, to run the course; staff access is logged.
- The municipality and the public receive aggregate statistics only.
- We do not sell your data or pass it on for marketing.

How long we keep it
While your account exists. When you erase your account, your personal data is deleted or anonymised; your enrolment history remains only as anonymous counts (birth year, sex and subdistrict kept) so that the city's statistics stay correct.

Minors
People under 20 need the consent of a parent or guardian; for children under 10, the parent or guardian always consents on their behalf.

Your rights
You may access and download your data, have it corrected, have it erased or your account deleted, withdraw a consent at any time as easily as you gave it (this does not affect what was lawfully done before), and complain to the Personal Data Protection Committee (PDPC). Most of these you can do yourself on the "My data" page.

Contact
{contact_email}
"""


def publish(apps, schema_editor):
    PrivacyNotice = apps.get_model("participants", "PrivacyNotice")
    PrivacyNotice.objects.update_or_create(
        version=1,
        defaults={
            "text_th": TEXT_TH,
            "text_en": TEXT_EN,
            "published_at": PUBLISHED_AT,
        },
    )


def unpublish(apps, schema_editor):
    apps.get_model("participants", "PrivacyNotice").objects.filter(version=1, consents__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("participants", "0001_initial")]

    operations = [migrations.RunPython(publish, unpublish)]
