from datetime import datetime

from pydantic import BaseModel, EmailStr, Field


class Credentials(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class CreditBalance(BaseModel):
    available: int
    reserved: int


class UserOut(BaseModel):
    id: int
    email: str
    is_admin: bool
    created_at: datetime
    credits: CreditBalance
