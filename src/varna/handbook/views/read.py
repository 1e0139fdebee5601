"""PLACEHOLDER: being written."""

from django.http import Http404


def contents(request, *args, **kwargs):
    raise Http404


def index(request, *args, **kwargs):
    raise Http404


def pdf_all(request, *args, **kwargs):
    raise Http404


def pdf_section(request, *args, **kwargs):
    raise Http404


def print_all(request, *args, **kwargs):
    raise Http404


def print_section(request, *args, **kwargs):
    raise Http404


def search(request, *args, **kwargs):
    raise Http404


def section(request, *args, **kwargs):
    raise Http404
