"""Web forms: public pages and embeddable copies that feed records.

Plugins declare forms with the ``crm_forms`` hook (:class:`FormSpec`);
administrators make more on the Forms page. Submissions are checked by the
import rules of the form's record type, refused when robotic or too
frequent, and held for an e-mail confirmation when they give consent.
"""

from .spec import FormField, FormSpec
from .submissions import FormSubmitted

__all__ = ["FormField", "FormSpec", "FormSubmitted"]
