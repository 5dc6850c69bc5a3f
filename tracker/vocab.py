"""Clinical vocabularies shared by forms, models and the pure domain code.

Each is a str Enum so that its value is what the database stores and what the policy engine reads.
"""
import enum


class Choice(str, enum.Enum):
    """A stored value with the words a clinic uses for it."""

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self):
        return self.value

    @classmethod
    def choices(cls):
        return [(member.value, member.label) for member in cls]


class Side(Choice):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"


class Indication(Choice):
    DIAGNOSTIC = "diagnostic", "Diagnostic block"
    CONFIRMATORY = "confirmatory", "Confirmatory block"
    THERAPEUTIC = "therapeutic", "Therapeutic injection"


class Sex(Choice):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not stated"


class ContactChannel(Choice):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    PHONE = "phone", "Phone call"
