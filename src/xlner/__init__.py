"""xlner: cross-lingual named-entity recognition for low-resource languages.

Model transfer (a multilingual encoder fine-tuned on English NER tags the target language
directly) and projection-based data transfer (translate, tag, align, project), side by side,
with quality and cost measured.
"""

from __future__ import annotations

from xlner.data import Alignment, Sentence, Span, spans_to_tags, tags_to_spans

__version__ = "0.2.0"

__all__ = ["Alignment", "Sentence", "Span", "__version__", "spans_to_tags", "tags_to_spans"]
