"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import tweepy
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document

from sandbox.png import make_png
from sandbox.seed import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET
from tests.sandbox_fixtures import LoopbackAdapter

PNG = make_png(40, 30, (10, 120, 200))


def tweepy_client(url: str, token: str) -> tweepy.Client:
    """A stock tweepy Client whose api.twitter.com traffic goes to the sandbox."""
    client = tweepy.Client(bearer_token=token)
    client.session.mount("https://api.twitter.com/",
                         LoopbackAdapter("https://api.twitter.com/", f"{url}/x/"))
    return client


def youtube_doc(url: str) -> dict[str, Any]:
    path = (Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
            / "youtube.v3.json")
    doc = json.loads(path.read_text())
    doc["rootUrl"] = doc["baseUrl"] = f"{url}/youtube/"
    doc.pop("mtlsRootUrl", None)
    return doc


def youtube_client(url: str, token: dict[str, Any]) -> tuple[Any, Credentials]:
    creds = Credentials(token=token["access_token"],
                        refresh_token=token.get("refresh_token"),
                        token_uri=f"{url}/youtube/token", client_id=GOOGLE_CLIENT_ID,
                        client_secret=GOOGLE_CLIENT_SECRET,
                        scopes=token["scope"].split())
    return build_from_document(youtube_doc(url), credentials=creds), creds


def graph(url: str) -> str:
    return f"{url}/facebook/v24.0"
