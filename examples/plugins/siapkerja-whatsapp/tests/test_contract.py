from siapkerja_adapters.testing import MessageSenderContract


class TestWhatsApp(MessageSenderContract):
    adapter_name = "whatsapp"  # also prove that the installed entry point registers it
