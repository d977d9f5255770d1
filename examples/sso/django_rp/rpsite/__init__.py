"""A minimal Django hub that signs its users in with SIAPkerja (Authlib's Django client).

The project is its own app: ``models.SiapkerjaLink`` links a Django user to
one SIAPkerja identity by the pair (issuer, sub), ``views`` holds the
sign-in, the callback with its linking rule, the local password sign-in
that completes a link, userinfo and logout.
"""
