"""Where the vectors and BM25 terms are searched: local FAISS + bm25s, or a Milvus collection."""
