"""Instant-runoff (IRV / RCV) contests: ranked ballots, tabulation, RAIRE assertions and audits.

Pure code (no web, no database): :mod:`~papertally.audit.irv.ballots` reads ranked ballots
under a jurisdiction's rules and counts them; :mod:`~papertally.audit.irv.raire` chooses and
verifies RAIRE assertions (Blom, Stuckey & Teague 2019); :mod:`~papertally.audit.irv.audit`
audits them with the CLCA and ALPHA martingales of :mod:`papertally.audit`.
"""
