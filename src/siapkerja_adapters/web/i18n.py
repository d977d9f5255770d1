"""The web pages' words in Indonesian and English, and the choice between them.

This module owns the label catalogue (:data:`CATALOGUE`: key -> (Indonesian,
English) ``str.format`` templates), :class:`Translator` (what templates call
as ``t("login.submit")``) and :func:`select_language`: Indonesian unless the
visitor chose English with ``?lang=en``, a choice kept in the session. How
a language tag is read is one function, :func:`read_language`. The
registration screens use the brief's exact wording (*Nomor Induk
Kependudukan (No. KTP)*, *Berikutnya*, *Daftar Sekarang*, *Konfirmasi* …).

Error messages are not here: every :class:`~siapkerja_core.errors.SiapkerjaError`
carries its own, read with ``error.message(lang)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from starlette.requests import Request

__all__ = [
    "CATALOGUE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Translator",
    "read_language",
    "select_language",
]

LANGUAGES: Final = ("id", "en")
DEFAULT_LANGUAGE: Final = "id"
_SESSION_KEY: Final = "lang"

CATALOGUE: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        # --- the layout -----------------------------------------------------------------
        "app.name": ("SIAPkerja", "SIAPkerja"),
        "app.tagline": ("Kementerian Ketenagakerjaan RI", "Ministry of Manpower, Indonesia"),
        "layout.skip": ("Langsung ke konten utama", "Skip to main content"),
        "layout.language": ("Bahasa", "Language"),
        "layout.switch": ("English", "Bahasa Indonesia"),
        "layout.nav": ("Menu akun", "Account menu"),
        "layout.title_error": ("Kesalahan", "Error"),
        "layout.footer": (
            "siapkerja — pustaka sumber terbuka untuk alur SIAPkerja-ID.",
            "siapkerja — an open-source library for the SIAPkerja-ID journey.",
        ),
        "nav.profile": ("Profil", "Profile"),
        "nav.card": ("Kartu SIAPkerja-ID", "SIAPkerja-ID card"),
        "nav.history": ("Riwayat akses", "Access history"),
        "nav.logout": ("Keluar", "Sign out"),
        "nav.outbox": ("Kotak keluar SMS", "SMS outbox"),
        "dev.banner": (
            "Mode pengembangan: SMS tidak benar-benar dikirim.",
            "Development mode: no SMS is really sent.",
        ),
        "errors.summary": ("Ada yang perlu diperbaiki", "There is a problem"),
        "errors.csrf": (
            "Formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman, lalu coba lagi.",
            "The form has expired or is not valid. Reload the page and try again.",
        ),
        "errors.not_found": ("Halaman tidak ditemukan.", "Page not found."),
        "errors.method": (
            "Alamat ini tidak menerima permintaan tersebut.",
            "This address does not accept that request.",
        ),
        "errors.too_large": (
            "Berkas yang dikirim terlalu besar. Foto paling besar 2 MiB.",
            "The upload is too large. A photo may have at most 2 MiB.",
        ),
        "errors.bad_request": ("Permintaan tidak valid.", "The request is not valid."),
        "errors.server": (
            "Terjadi kesalahan pada server. Silakan coba lagi nanti.",
            "Something went wrong on the server. Please try again later.",
        ),
        "errors.title": ("Terjadi kesalahan", "Something went wrong"),
        "errors.home": ("Kembali ke halaman utama", "Back to the home page"),
        "errors.sign_in": ("Silakan masuk terlebih dahulu.", "Please sign in first."),
        "common.save": ("Simpan", "Save"),
        "common.back": ("Kembali", "Back"),
        "common.choose": ("— Pilih —", "— Choose —"),
        "common.optional": ("(tidak wajib)", "(optional)"),
        "common.or": ("atau", "or"),
        # --- sign-in (the home page) ---------------------------------------------------------
        "login.title": ("Masuk", "Sign in"),
        "login.intro": (
            "Masuk ke akun SIAPkerja Anda.",
            "Sign in to your SIAPkerja account.",
        ),
        "login.identifier": ("NIK, Email, atau Nomor Handphone", "NIK, e-mail or mobile number"),
        "login.password": ("Password", "Password"),
        "login.submit": ("Masuk", "Sign in"),
        "login.no_account": ("Belum punya akun?", "No account yet?"),
        "login.register": ("Daftar", "Register"),
        "login.trouble": ("Kendala Masuk ke Akun?", "Trouble signing in?"),
        "login.signed_out": ("Anda sudah keluar.", "You have signed out."),
        # --- registration, step 1 -------------------------------------------------------------
        "register.title": ("Daftar", "Register"),
        "register.heading": ("Pendaftaran Akun", "Account registration"),
        "register.step": ("Langkah {n} dari 3", "Step {n} of 3"),
        "register.nik": ("Nomor Induk Kependudukan (No. KTP)", "Identity number (NIK, on the KTP)"),
        "register.nik_hint": ("16 angka, sesuai KTP.", "16 digits, as on the KTP."),
        "register.full_name": ("Nama lengkap", "Full name"),
        "register.full_name_hint": ("Sesuai KTP.", "As on the KTP."),
        "register.mother_name": ("Nama ibu kandung", "Mother's maiden name"),
        "register.mother_name_hint": (
            "Hanya dipakai untuk verifikasi Dukcapil dan tidak disimpan.",
            "Used only for the Dukcapil check and never stored.",
        ),
        "register.next": ("Berikutnya", "Next"),
        "register.consent": (
            "Dengan melakukan pendaftaran, saya setuju dengan Kebijakan Privasi dan Syarat &"
            " Ketentuan Kemnaker RI.",
            "By registering, I agree to the Privacy Policy and the Terms & Conditions of"
            " Kemnaker RI.",
        ),
        "register.help": ("Kunjungi Pusat Bantuan", "Visit the Help Centre"),
        "register.have_account": ("Sudah punya akun?", "Already have an account?"),
        # --- registration, step 2 -------------------------------------------------------------
        "contact.verified": (
            "Data Anda sesuai dengan Dukcapil. Lanjutkan dengan kontak dan password.",
            "Your details match Dukcapil's. Go on with your contacts and a password.",
        ),
        "contact.email": ("Alamat Email", "E-mail address"),
        "contact.phone": ("Nomor Handphone", "Mobile number"),
        "contact.phone_hint": (
            "Kode OTP dikirim lewat SMS ke nomor ini, misalnya 0812 3456 7890.",
            "The OTP code is sent by SMS to this number, e.g. 0812 3456 7890.",
        ),
        "contact.password": ("Password", "Password"),
        "contact.password_hint": (
            "Gunakan kalimat sandi yang panjang dan mudah Anda ingat.",
            "Use a long passphrase that you can remember.",
        ),
        "contact.submit": ("Daftar Sekarang", "Register now"),
        "contact.back": ("Kembali", "Back"),
        # --- verification ----------------------------------------------------------------------
        "verify.title": ("Verifikasi", "Verification"),
        "verify.intro": (
            "Masukkan kode OTP atau aktivasi yang dikirim ke hp kamu.",
            "Enter the OTP or activation code sent to your phone.",
        ),
        "verify.sent": (
            "Kode OTP atau aktivasi berhasil dikirim, mohon cek hp kamu.",
            "The OTP or activation code was sent; please check your phone.",
        ),
        "verify.sent_to": ("Dikirim ke {phone}.", "Sent to {phone}."),
        "verify.not_delivered": (
            "Kode belum terkirim ({reason}). Tekan Kirim Ulang untuk mencoba lagi.",
            "The code was not delivered ({reason}). Press Resend to try again.",
        ),
        "verify.code": ("Kode OTP (6 angka)", "OTP code (6 digits)"),
        "verify.digit": ("Angka ke-{n} dari {total}", "Digit {n} of {total}"),
        "verify.attempts": ("Sisa percobaan: {n}.", "Attempts left: {n}."),
        "verify.submit": ("Konfirmasi", "Confirm"),
        "verify.not_received": ("Belum menerima kode?", "Didn't get the code?"),
        "verify.resend": ("Kirim Ulang", "Resend"),
        "verify.change_phone": ("Ubah no HP Kamu", "Change your number"),
        "verify.cooldown": (
            "Kirim Ulang tersedia dalam {seconds} detik.",
            "Resend is available in {seconds} seconds.",
        ),
        "verify.ready": ("Kirim Ulang sudah tersedia.", "You can ask for a new code now."),
        "verify.other_account": ("Login dengan akun yang lain", "Sign in with another account"),
        "verify.outbox": (
            "Mode pengembangan: baca kodenya di Kotak keluar SMS.",
            "Development mode: read the code in the SMS outbox.",
        ),
        "verify.resent": (
            "Kode OTP atau aktivasi baru berhasil dikirim, mohon cek hp kamu.",
            "A new OTP or activation code was sent; please check your phone.",
        ),
        "verify.done": (
            "Akun Anda aktif. Lengkapi profil untuk mendapatkan SIAPkerja-ID.",
            "Your account is active. Complete your profile to get your SIAPkerja-ID.",
        ),
        "verify.none": (
            "Tidak ada pendaftaran yang menunggu verifikasi. Silakan daftar atau masuk.",
            "No registration is waiting for verification. Please register or sign in.",
        ),
        "change.title": ("Ubah no HP", "Change mobile number"),
        "change.intro": (
            "Kode baru akan dikirim ke nomor yang baru; kode lama tidak berlaku lagi.",
            "A new code goes to the new number; the old code stops working.",
        ),
        "change.phone": ("Nomor Handphone baru", "New mobile number"),
        "change.submit": ("Simpan dan kirim kode", "Save and send a code"),
        # --- recovery ----------------------------------------------------------------------------
        "recovery.title": ("Kendala Masuk ke Akun?", "Trouble signing in?"),
        "recovery.intro": (
            "Masukkan NIK, email, atau nomor handphone akun Anda. Kode verifikasi dikirim ke"
            " nomor handphone akun.",
            "Enter your account's NIK, e-mail or mobile number. A verification code is sent to"
            " the account's mobile number.",
        ),
        "recovery.submit": ("Kirim kode", "Send code"),
        "reset.title": ("Atur ulang password", "Reset password"),
        "reset.code": ("Kode verifikasi", "Verification code"),
        "reset.new_password": ("Password baru", "New password"),
        "reset.submit": ("Simpan password", "Save password"),
        "reset.again": ("Minta kode baru", "Ask for a new code"),
        "reset.done": (
            "Password berhasil diubah. Silakan masuk dengan password baru.",
            "Your password was changed. Please sign in with the new password.",
        ),
        # --- sign-out ----------------------------------------------------------------------------
        "logout.title": ("Keluar", "Sign out"),
        "logout.question": ("Keluar dari akun Anda?", "Sign out of your account?"),
        "logout.submit": ("Keluar", "Sign out"),
        # --- profile -----------------------------------------------------------------------------
        "profile.title": ("Profil", "Profile"),
        "profile.intro": (
            "Setiap stakeholder yang akan membuat akun SIAPkerja harus melengkapi profilnya"
            " untuk mendapatkan SIAPkerja-ID.",
            "Everyone with a SIAPkerja account must complete their profile to get a SIAPkerja-ID.",
        ),
        "profile.completeness": ("Kelengkapan profil", "Profile completeness"),
        "profile.percent": ("{percent}% lengkap", "{percent}% complete"),
        "profile.missing": ("Yang masih perlu dilengkapi:", "Still to fill in:"),
        "profile.complete": (
            "Profil Anda sudah lengkap. Terbitkan kartu SIAPkerja-ID Anda.",
            "Your profile is complete. Issue your SIAPkerja-ID card.",
        ),
        "profile.issue": ("Terbitkan SIAPkerja-ID", "Issue SIAPkerja-ID"),
        "profile.see_card": ("Lihat kartu SIAPkerja-ID", "See the SIAPkerja-ID card"),
        "profile.saved": ("Perubahan disimpan.", "Changes saved."),
        "profile.warnings": ("Perhatian", "Please note"),
        "profile.view_mine": (
            "Lihat profil seperti saat QR dipindai",
            "See the profile as a scan shows it",
        ),
        "profile.stakeholder": ("Saya mendaftar sebagai", "I am registering as"),
        "profile.birth_place": ("Tempat lahir", "Place of birth"),
        "profile.birth_date": ("Tanggal lahir", "Date of birth"),
        "profile.sex": ("Jenis Kelamin", "Sex"),
        "profile.marital_status": ("Status perkawinan", "Marital status"),
        "profile.religion": ("Agama", "Religion"),
        "profile.headline": ("Judul profil", "Headline"),
        "profile.headline_hint": ("Misalnya IT Professional.", "For example IT Professional."),
        "profile.addresses": ("Alamat", "Addresses"),
        "profile.ktp_address": ("Alamat sesuai KTP", "Address on the KTP"),
        "profile.domicile_address": ("Alamat Domisili", "Domicile address"),
        "profile.village_code": (
            "Kode desa/kelurahan (10 angka, Kemendagri)",
            "Village code (10 digits, Kemendagri)",
        ),
        "profile.village_hint": (
            "Misalnya 3173071001 untuk Palmerah, Jakarta Barat.",
            "For example 3173071001 for Palmerah, West Jakarta.",
        ),
        "profile.region": ("Wilayah: {line}", "Region: {line}"),
        "profile.street": ("Jalan dan nomor rumah", "Street and house number"),
        "profile.rt": ("RT", "RT"),
        "profile.rw": ("RW", "RW"),
        "profile.postal_code": ("Kode pos", "Postal code"),
        "profile.same_address": (
            "Alamat domisili sama dengan alamat KTP",
            "The domicile address is the address on the KTP",
        ),
        "profile.village_search": ("Cari kode desa/kelurahan", "Find a village code"),
        "profile.village_query": ("Nama desa/kelurahan", "Village name"),
        "profile.search": ("Cari", "Search"),
        "profile.no_village": ("Tidak ada desa/kelurahan dengan nama itu.", "No such village."),
        "profile.skills": ("Keahlian", "Skills"),
        "profile.skills_field": (
            "Keahlian (pisahkan dengan koma)",
            "Skills (separated by commas)",
        ),
        "profile.skills_hint": (
            "Misalnya PHP, Laravel, Linux.",
            "For example PHP, Laravel, Linux.",
        ),
        "profile.languages": ("Bahasa", "Languages"),
        "profile.language_name": ("Bahasa", "Language"),
        "profile.language_level": ("Tingkat", "Level"),
        "profile.language_n": ("Bahasa {n}", "Language {n}"),
        "profile.languages_hint": (
            "Kosongkan nama bahasa untuk menghapusnya.",
            "Clear a language's name to remove it.",
        ),
        "profile.work": ("Pengalaman kerja", "Work experience"),
        "profile.work_hint": (
            "Pengalaman kerja terakhir. Kosongkan semua isian untuk menghapusnya.",
            "Your latest job. Clear every field to remove it.",
        ),
        "profile.work_title": ("Jabatan", "Job title"),
        "profile.work_company": ("Perusahaan", "Company"),
        "profile.work_start": ("Mulai (TTTT-BB)", "Start (YYYY-MM)"),
        "profile.work_end": (
            "Selesai (TTTT-BB, kosongkan jika masih bekerja)",
            "End (YYYY-MM, empty if you still work there)",
        ),
        "profile.work_location": ("Lokasi", "Location"),
        "profile.work_description": ("Deskripsi", "Description"),
        "profile.education": ("Pendidikan", "Education"),
        "profile.education_hint": (
            "Pendidikan terakhir. Kosongkan semua isian untuk menghapusnya.",
            "Your latest education. Clear every field to remove it.",
        ),
        "profile.edu_institution": ("Institusi", "Institution"),
        "profile.edu_level": ("Jenjang", "Level"),
        "profile.edu_major": ("Jurusan", "Major"),
        "profile.edu_start_year": ("Tahun masuk", "Start year"),
        "profile.edu_end_year": (
            "Tahun lulus (kosongkan jika belum lulus)",
            "Graduation year (empty if still studying)",
        ),
        "profile.edu_gpa": ("IPK (0.00–4.00)", "GPA (0.00–4.00)"),
        "profile.photo": ("Foto", "Photo"),
        "profile.photo_field": (
            "Foto profil (JPEG, PNG, atau WebP; paling besar 2 MiB)",
            "Profile photo (JPEG, PNG or WebP; at most 2 MiB)",
        ),
        "profile.photo_current": ("Foto saat ini", "Current photo"),
        "profile.photo_required": ("Pilih berkas foto.", "Choose a photo file."),
        "profile.upload": ("Unggah foto", "Upload photo"),
        "profile.visibility": ("Tampilan publik", "Public view"),
        "profile.visibility_legend": ("Tampilkan untuk umum", "Show to everyone"),
        "profile.visibility_hint": (
            "Bagian yang tampil saat QR Code Anda dipindai orang lain. NIK, kontak, alamat,"
            " tanggal lahir, dan agama tidak pernah tampil untuk umum.",
            "What others see when they scan your QR code. The NIK, contacts, addresses, birth"
            " date and religion are never shown publicly.",
        ),
        # --- the card ----------------------------------------------------------------------------
        "card.title": ("Kartu SIAPkerja-ID", "SIAPkerja-ID card"),
        "card.subtitle": ("Kartu Digital Ketenagakerjaan", "Digital labour card"),
        "card.none": (
            "Anda belum memiliki kartu. SIAPkerja-ID didapatkan setelah pengguna melengkapi"
            " Profil.",
            "You have no card yet. The SIAPkerja-ID is issued once your profile is complete.",
        ),
        "card.complete_profile": ("Lengkapi profil", "Complete the profile"),
        "card.issued": ("Kartu SIAPkerja-ID diterbitkan.", "Your SIAPkerja-ID card was issued."),
        "card.number": ("Nomor SIAPkerja-ID", "SIAPkerja-ID number"),
        "card.link_heading": ("QR Code tautan profil", "Profile link QR code"),
        "card.link_intro": (
            "Jika QR Code ini dipindai, profil Anda tampil sesuai aturan keterbukaan data.",
            "When this QR code is scanned, your profile shows under the disclosure rules.",
        ),
        "card.link_qr": ("QR Code tautan profil Anda", "Your profile link QR code"),
        "card.open_link": ("Buka tautan profil", "Open the profile link"),
        "card.rotate": ("Perbarui QR Code", "Renew the QR code"),
        "card.rotate_hint": (
            "QR Code lama, juga yang sudah dicetak atau dibagikan, langsung tidak berlaku.",
            "The old QR code, printed or shared ones too, stops working at once.",
        ),
        "card.rotated": (
            "QR Code diperbarui. QR Code lama tidak berlaku lagi.",
            "The QR code was renewed. The old one no longer works.",
        ),
        "card.access_heading": ("Kode akses", "Access code"),
        "card.access_intro": (
            "Untuk absensi kelas pelatihan atau tanda masuk Job Fair. Kode berganti setiap"
            " {period} detik.",
            "For class attendance or Job Fair entry. The code changes every {period} seconds.",
        ),
        "card.event": ("Kode acara", "Event code"),
        "card.event_hint": (
            "Dari panitia, misalnya jobfair-jakarta-2026.",
            "From the organisers, e.g. jobfair-jakarta-2026.",
        ),
        "card.show_access": ("Tampilkan kode akses", "Show the access code"),
        "card.access_qr": ("Kode akses untuk {event}", "Access code for {event}"),
        "card.access_valid": ("Berlaku sampai", "Valid until"),
        "card.access_nojs": (
            "Tanpa JavaScript: muat ulang halaman untuk kode yang baru.",
            "Without JavaScript: reload the page for a new code.",
        ),
        # --- the scanned profile -------------------------------------------------------------
        "scan.title": ("Profil SIAPkerja-ID", "SIAPkerja-ID profile"),
        "scan.public": (
            "Tampilan publik: NIK, kontak, dan alamat tidak ditampilkan.",
            "Public view: the NIK, contacts and addresses are not shown.",
        ),
        "scan.holder": (
            "Ini profil Anda sendiri: Anda melihat seluruh data.",
            "This is your own profile: you see all of it.",
        ),
        "scan.consent_required": (
            "Pemilik belum memberikan persetujuan untuk tujuan ini; hanya tampilan publik.",
            "The holder has not consented to this purpose; only the public view is shown.",
        ),
        "scan.inactive": ("Kartu tidak aktif", "The card is not active"),
        "scan.active": ("Kartu aktif", "Card active"),
        "scan.photo": ("Foto {name}", "Photo of {name}"),
        "scan.biodata": ("Biodata", "Personal details"),
        "scan.nik": ("Nomor Induk Kependudukan", "Identity number (NIK)"),
        "scan.birth": ("Tempat, tanggal lahir", "Place and date of birth"),
        "scan.sex": ("Jenis Kelamin", "Sex"),
        "scan.marital_status": ("Status", "Marital status"),
        "scan.religion": ("Agama", "Religion"),
        "scan.email": ("Email", "E-mail"),
        "scan.phone": ("Nomor telepon", "Phone number"),
        "scan.ktp_address": ("Alamat", "Address"),
        "scan.domicile_address": ("Alamat Domisili", "Domicile address"),
        "scan.skills": ("Keahlian", "Skills"),
        "scan.languages": ("Bahasa", "Languages"),
        "scan.work": ("Pengalaman kerja", "Work experience"),
        "scan.education": ("Pendidikan", "Education"),
        "scan.certificates": ("Sertifikat", "Certificates"),
        "scan.achievements": ("Pencapaian", "Achievements"),
        "scan.score": ("Skor {score}", "Score {score}"),
        "scan.invalid": ("QR Code tidak berlaku", "The QR code is not valid"),
        # --- the access history --------------------------------------------------------------
        "history.title": ("Riwayat akses data", "Data access history"),
        "history.intro": (
            "Siapa melihat data profil Anda, kapan, dan untuk tujuan apa (UU 27/2022 tentang"
            " Pelindungan Data Pribadi).",
            "Who saw your profile data, when and for what purpose (Law 27/2022 on Personal Data"
            " Protection).",
        ),
        "history.when": ("Waktu (UTC)", "Time (UTC)"),
        "history.who": ("Pihak", "Who"),
        "history.channel": ("Kanal", "Channel"),
        "history.purpose": ("Tujuan", "Purpose"),
        "history.fields": ("Data yang dilihat", "Data seen"),
        "history.empty": ("Belum ada akses.", "No access yet."),
        "history.anonymous": ("Anonim (pemindai QR)", "Anonymous (QR scan)"),
        "history.account": ("Akun lain", "Another account"),
        "history.holder": ("Anda sendiri", "You"),
        "history.verifier": ("Verifikator: {name}", "Verifier: {name}"),
        "history.link": ("Tautan QR", "QR link"),
        "history.access": ("Kode akses", "Access code"),
        "history.consents": ("Persetujuan", "Consents"),
        "history.consents_intro": (
            "Lembaga yang Anda izinkan melihat data lebih banyak untuk tujuan tertentu.",
            "Institutions you allowed to see more of your data for a stated purpose.",
        ),
        "history.verifier_col": ("Verifikator", "Verifier"),
        "history.granted": ("Diberikan (UTC)", "Granted (UTC)"),
        "history.status": ("Status", "Status"),
        "history.active": ("Aktif", "Active"),
        "history.withdrawn_at": ("Ditarik {time}", "Withdrawn {time}"),
        "history.withdraw": ("Tarik persetujuan", "Withdraw consent"),
        "history.withdraw_label": (
            "Tarik persetujuan untuk {verifier} ({purpose})",
            "Withdraw the consent for {verifier} ({purpose})",
        ),
        "history.withdrawn": ("Persetujuan ditarik.", "The consent was withdrawn."),
        "history.no_consents": ("Belum ada persetujuan.", "No consent given yet."),
        "history.all_fields": ("Semua data cakupannya", "Everything in its scope"),
        "field.nik": ("NIK", "NIK"),
        "field.nik_masked": ("NIK (disamarkan)", "NIK (masked)"),
        # --- the development outbox ---------------------------------------------------------
        "outbox.title": ("Kotak keluar SMS", "SMS outbox"),
        "outbox.intro": (
            "Mode pengembangan: pesan yang 'dikirim' oleh pengirim SMS {sender}, terbaru di atas.",
            "Development mode: the messages the {sender} SMS sender 'sent', newest first.",
        ),
        "outbox.to": ("Kepada", "To"),
        "outbox.at": ("Waktu (UTC)", "Time (UTC)"),
        "outbox.text": ("Pesan", "Message"),
        "outbox.empty": ("Belum ada pesan.", "No message yet."),
        "outbox.unsupported": (
            "Pengirim SMS ini tidak menyimpan pesan yang dikirim.",
            "This SMS sender keeps no copy of what it sends.",
        ),
    }
)
"""Every label of the pages: key -> (Indonesian, English) ``str.format`` templates."""


def read_language(tag: object) -> str | None:
    """The language a tag names (``"en"``, ``"EN-us"``, ``" id"``), or ``None`` for neither.

    The web binding's one rule for reading a language tag, used by
    :func:`select_language` and :class:`Translator`. The core is getting its
    own (``siapkerja_core.i18n.is_english``); this is the function to point
    at it, keeping ``None`` for a tag naming neither language, so that
    ``?lang=fr`` leaves the visitor's kept choice alone.
    """
    if not isinstance(tag, str):
        return None
    primary = tag.strip().lower()[:2]
    return primary if primary in LANGUAGES else None


def select_language(request: Request) -> str:
    """The page language: ``?lang=en``/``?lang=id`` (kept in the session), else the session's.

    Indonesian by default: the service is Indonesian first.
    """
    chosen = read_language(request.query_params.get("lang"))
    session = request.scope.get("session")
    if chosen is not None:
        if isinstance(session, dict) and session.get(_SESSION_KEY) != chosen:
            session[_SESSION_KEY] = chosen
        return chosen
    if isinstance(session, dict):
        return read_language(session.get(_SESSION_KEY)) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


class Translator:
    """The catalogue in one language: ``t("register.step", n=1)``.

    An unknown key raises :class:`KeyError` — a typo in a template fails its
    test instead of showing a key to a visitor.
    """

    def __init__(self, lang: str) -> None:
        self.lang = read_language(lang) or DEFAULT_LANGUAGE
        self._index = LANGUAGES.index(self.lang)

    def __call__(self, key: str, /, **params: object) -> str:
        template = CATALOGUE[key][self._index]
        return template.format(**params) if params else template

    @property
    def other(self) -> str:
        """The language the switch offers."""
        return "en" if self.lang == "id" else "id"
