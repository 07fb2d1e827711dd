"""The index: FAISS and BM25 (or a Milvus collection), the sentence table, the manifest, the folder on disk, the build."""
