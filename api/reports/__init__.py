"""Incident reports from the app: submission, moderation, clusters and cross-source statistics."""

from fastapi import APIRouter

from api.reports import analysis, moderation, submission

router = APIRouter()
router.include_router(submission.router)
router.include_router(analysis.router)
router.include_router(moderation.router)

__all__ = ["router"]
