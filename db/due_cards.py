"""Which flashcards are due: one definition for the review queue and the dashboard's count.

A fragment (FROM … WHERE) with `:user_id` and `:now`: every card of the learner's completed
sets whose schedule says due, or that has no schedule yet (a new card is due at once).
"""

DUE_CARDS_FROM = """
    FROM study_contents sc
    JOIN courses co ON co.id = sc.course_id
    CROSS JOIN LATERAL jsonb_array_elements(sc.payload -> 'cards') WITH ORDINALITY AS card(body, position)
    LEFT JOIN flashcard_states fs
      ON fs.user_id = :user_id AND fs.study_content_id = sc.id AND fs.card_key = card.body ->> 'id'
    WHERE co.owner_id = :user_id AND sc.type = 'flashcards' AND sc.status = 'completed'
      AND (fs.due_at IS NULL OR fs.due_at <= :now)
"""
