"""PDF versions of the HTML reports, rendered by WeasyPrint (HTML and CSS to PDF)."""

from __future__ import annotations

from papertally.errors import PapertallyError


def html_to_pdf(html: str) -> bytes:
    """Return ``html`` (a self-contained page, figures inline) rendered as a PDF document.

    WeasyPrint needs the Pango text libraries of the operating system; where they are missing
    the user is told what to install instead of seeing a traceback.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise PapertallyError(
            "PDF reports need WeasyPrint and the Pango libraries (Debian: libpango-1.0-0, "
            f"libpangoft2-1.0-0); the HTML report has the same content ({error})"
        ) from None
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
