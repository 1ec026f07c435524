from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class Credentials(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"email": "ada@example.com", "password": "correct horse battery"}]})

    email: EmailStr
    password: str = Field(min_length=8, max_length=256)


class TokenOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig",
         "token_type": "bearer", "expires_in": 3600}]})

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the token expires")


class CreditBalance(BaseModel):
    available: int
    reserved: int


class UserOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": 1, "email": "ada@example.com", "is_admin": False,
         "created_at": "2026-12-04T09:30:00Z", "credits": {"available": 100, "reserved": 0}}]})

    id: int
    email: str
    is_admin: bool
    created_at: datetime
    credits: CreditBalance
