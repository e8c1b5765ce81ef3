"""Form helpers shared by the clinic's pages."""

from django import forms


class ErrorDescribedField(forms.BoundField):
    """Points an invalid input at its error message, so a screen reader reads it on focus.

    The template renders the messages inside an element with id "<auto_id>_error"."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        error_id = f"{self.auto_id}_error"
        described = attrs.get("aria-describedby", "").split()
        if self.errors and self.auto_id and error_id not in described:
            attrs["aria-describedby"] = " ".join([*described, error_id])
        return attrs
